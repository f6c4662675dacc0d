import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ActionSpace, defineAction, type AnyAction } from '../../actions/index.js';
import { UsageError } from '../../errors/index.js';
import { ExperienceMemory, ToolIndex } from '../../retrieval/index.js';
import { MetricsAccumulator, type RankingMetrics } from './metrics.js';

/*
 * ToolLens (Qu et al., CIKM 2024): 464 RapidAPI tools, 16,893 vague multi-need queries with 2.66 relevant
 * tools each. Each tool becomes an Arbor action (name from tool and API name, description, parameters as
 * JSON Schema, category as tag, tool as group), and queries are ranked with Arbor's ToolIndex.
 */

export interface ToolLensData {
  actions: AnyAction[];
  /** corpus id → action name */
  names: Map<string, string>;
  queries: { id: string; text: string; relevant: Set<string> }[];
}

const corpusLine = z.object({ _id: z.string(), text: z.string() });
const queryLine = z.object({ _id: z.string(), text: z.string() });
const TEXT_PATTERN = /^category_name:(.*?), tool_name:(.*?), api_name:(.*?), api_description:(.*?), required_params: (.*), optional_params: (.*), return_schema: (.*)$/s;
const paramsSchema = z.array(z.object({ name: z.string(), type: z.string().optional(), description: z.string().optional() }).loose());

/** The folder of the shared data, next to the repository (`../shared/data`) unless ARBOR_SHARED_DATA says otherwise. */
export function sharedDataDir(): string {
  return process.env.ARBOR_SHARED_DATA ?? join(process.cwd(), '..', 'shared', 'data');
}

export function loadToolLens(dir = join(sharedDataDir(), 'tool-retrieval', 'toollens')): ToolLensData {
  const files = { corpus: join(dir, 'corpus.jsonl'), queries: join(dir, 'queries.jsonl'), qrels: join(dir, 'qrels', 'dev.tsv') };
  for (const file of Object.values(files)) {
    if (!existsSync(file)) {
      throw new UsageError(`ToolLens data is missing: ${file}`, 'The benchmark reads ../shared/data/tool-retrieval/toollens (or set ARBOR_SHARED_DATA to the folder holding tool-retrieval/).');
    }
  }
  const names = new Map<string, string>();
  const used = new Set<string>();
  const actions: AnyAction[] = [];
  for (const line of readLines(files.corpus)) {
    const entry = corpusLine.parse(JSON.parse(line));
    const match = TEXT_PATTERN.exec(entry.text);
    if (match === null) throw new UsageError(`ToolLens corpus entry ${entry._id} is not in the expected format`, 'Use the unchanged ToolLens corpus.jsonl.');
    const [, category, tool, api, description, required, optional] = match as unknown as string[];
    const requiredParams = paramsSchema.parse(JSON.parse(required!));
    const optionalParams = paramsSchema.parse(JSON.parse(optional!));
    let name = `${slug(tool!)}.${slug(api!)}`;
    for (let suffix = 2; used.has(name); suffix++) name = `${slug(tool!)}.${slug(api!)}_${suffix}`;
    used.add(name);
    names.set(entry._id, name);
    const properties = Object.fromEntries(
      [...requiredParams, ...optionalParams].map((param) => [param.name, { type: 'string', ...(param.description ? { description: param.description } : {}) }]),
    );
    actions.push(
      defineAction({
        name,
        description: description!,
        input: z.record(z.string(), z.unknown()),
        inputJsonSchema: { type: 'object', properties, required: requiredParams.map((param) => param.name) },
        effect: 'read',
        tags: [category!],
        group: tool!,
        source: { kind: 'rapidapi', name: tool! },
        run: () => null,
      }),
    );
  }
  const relevant = new Map<string, Set<string>>();
  for (const line of readLines(files.qrels).slice(1)) {
    const [queryId, corpusId, score] = line.split('\t');
    if (queryId === undefined || corpusId === undefined || Number(score) <= 0) continue;
    const name = names.get(corpusId);
    if (name === undefined) continue;
    const set = relevant.get(queryId) ?? new Set<string>();
    set.add(name);
    relevant.set(queryId, set);
  }
  const queries: ToolLensData['queries'] = [];
  for (const line of readLines(files.queries)) {
    const query = queryLine.parse(JSON.parse(line));
    const set = relevant.get(query._id);
    if (set !== undefined) queries.push({ id: query._id, text: query.text, relevant: set });
  }
  return { actions, names, queries };
}

/** A query's fold: a deterministic hash of its id, so folds are the same on every machine and run. */
export function foldOf(id: string, folds: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % folds;
}

export interface ToolLensOptions {
  folds?: number;
  /** Per-action cap of the experience memory. */
  capPerAction?: number;
  experienceWeight?: number;
  onProgress?: (done: number, total: number, phase: string) => void;
}

export interface ToolLensResult {
  actions: number;
  queries: number;
  folds: number;
  lexical: RankingMetrics;
  /** Learned from the other folds, evaluated on each fold in turn (no query is ever in its own memory). */
  experience: RankingMetrics;
  /** Recall@5 and NDCG@5 with experience on each fold alone (fold 0 was never looked at while the experience parameters were chosen). */
  perFold: { fold: number; queries: number; recallAt5: number; ndcgAt5: number }[];
  timings: { lexicalMsPerQuery: number; experienceMsPerQuery: number; learnMsPerFold: number };
}

/** Measures lexical retrieval, then retrieval with experience learned from the other folds. */
export function runToolLens(data: ToolLensData, options: ToolLensOptions = {}): ToolLensResult {
  const folds = options.folds ?? 5;
  const space = new ActionSpace(data.actions);
  const total = data.queries.length;
  const lexical = new MetricsAccumulator();
  const index = new ToolIndex({ actions: space });
  let started = performance.now();
  data.queries.forEach((query, position) => {
    lexical.add(query.relevant, index.searchLexical(query.text, { k: 10 }).hits.map((hit) => hit.name));
    if (position % 500 === 0) options.onProgress?.(position, total, 'lexical');
  });
  const lexicalMs = (performance.now() - started) / Math.max(1, total);
  index.close();

  const experience = new MetricsAccumulator();
  const perFold: ToolLensResult['perFold'] = [];
  let learnMs = 0;
  let queryMs = 0;
  let done = 0;
  for (let fold = 0; fold < folds; fold++) {
    started = performance.now();
    const memory = new ExperienceMemory(options.capPerAction === undefined ? {} : { capPerAction: options.capPerAction });
    for (const query of data.queries) if (foldOf(query.id, folds) !== fold) memory.add(query.text, [...query.relevant], `pairs:fold-${foldOf(query.id, folds)}`);
    // Learning includes indexing the sets and training the set model, which would otherwise happen lazily on the first query.
    memory.prepare();
    learnMs += performance.now() - started;
    const learned = new ToolIndex({ actions: space, experience: memory, ...(options.experienceWeight === undefined ? {} : { experienceWeight: options.experienceWeight }) });
    started = performance.now();
    const foldMetrics = new MetricsAccumulator();
    let foldQueries = 0;
    for (const query of data.queries) {
      if (foldOf(query.id, folds) !== fold) continue;
      const ranked = learned.searchLexical(query.text, { k: 10 }).hits.map((hit) => hit.name);
      experience.add(query.relevant, ranked);
      foldMetrics.add(query.relevant, ranked);
      foldQueries++;
      if (++done % 500 === 0) options.onProgress?.(done, total, `experience, fold ${fold + 1}/${folds}`);
    }
    queryMs += performance.now() - started;
    const foldResult = foldMetrics.result();
    perFold.push({ fold, queries: foldQueries, recallAt5: foldResult.recall[5] ?? Number.NaN, ndcgAt5: foldResult.ndcg[5] ?? Number.NaN });
    learned.close();
  }
  return {
    actions: data.actions.length,
    queries: total,
    folds,
    lexical: lexical.result(),
    experience: experience.result(),
    perFold,
    timings: { lexicalMsPerQuery: lexicalMs, experienceMsPerQuery: queryMs / Math.max(1, total), learnMsPerFold: learnMs / folds },
  };
}

function slug(text: string): string {
  const words = text.replace(/[^\p{L}\p{N}]+/gu, ' ').trim().split(' ').filter(Boolean);
  const joined = words.join('_').replace(/[^A-Za-z0-9_]/g, '');
  return joined === '' ? 'x' : /^[A-Za-z0-9]/.test(joined) ? joined : `x${joined}`;
}

function readLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
}
