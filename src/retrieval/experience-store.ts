import { z } from 'zod';
import { InvalidPairsError, StoreCorruptError } from '../errors/index.js';
import { runSteps, type Store } from '../provenance/index.js';
import { ExperienceMemory, type ExperienceOptions } from './experience.js';
import { safeParse } from '../internal/safe-parse.js';

/** The store cache namespace holding experience memories, one per name (default `default`). */
export const EXPERIENCE_CACHE_NAMESPACE = 'arbor.retrieval.experience';

/** Loads the experience memory saved under `name`, or a new empty one. */
export async function loadExperience(store: Store, name = 'default', options: ExperienceOptions = {}): Promise<ExperienceMemory> {
  const json = await store.getCached(EXPERIENCE_CACHE_NAMESPACE, name);
  if (json === undefined) return new ExperienceMemory(options);
  try {
    return ExperienceMemory.fromJSON(JSON.parse(json), options);
  } catch (error) {
    throw new StoreCorruptError(store.location, `its experience memory "${name}" cannot be read (${error instanceof Error ? error.message : String(error)})`, error);
  }
}

export async function saveExperience(store: Store, memory: ExperienceMemory, name = 'default'): Promise<void> {
  await store.putCached(EXPERIENCE_CACHE_NAMESPACE, name, JSON.stringify(memory));
}

export interface LabelledPair {
  query: string;
  actions: string[];
}

const pairLine = z.union([
  z.object({ query: z.string().min(1), actions: z.array(z.string().min(1)).min(1) }),
  z.object({ query: z.string().min(1), action: z.string().min(1) }),
]);

/** Parses JSONL (query → relevant actions) pairs; any malformed line rejects the whole file. */
export function parsePairs(text: string, source: string): LabelledPair[] {
  const pairs: LabelledPair[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InvalidPairsError(source, index + 1, 'not valid JSON');
    }
    const parsed = safeParse(pairLine, value);
    if (!parsed.success) throw new InvalidPairsError(source, index + 1, 'expected {"query": string, "actions": [string, …]} or {"query": string, "action": string}');
    pairs.push({ query: parsed.data.query, actions: 'actions' in parsed.data ? parsed.data.actions : [parsed.data.action] });
  });
  return pairs;
}

export interface LearnFromRunsOptions {
  /** Actions never learned (meta-actions such as `search_actions`). Default: names starting with `search_`. */
  ignore?: (action: string) => boolean;
  /** Runs to read, newest first. Default 1000. */
  limit?: number;
}

/**
 * Feeds successful recorded runs back into the memory: each run's task, with the actions its successful
 * top-level steps used. Runs already learned are skipped, so learning twice changes nothing.
 */
export async function learnFromRuns(store: Store, memory: ExperienceMemory, options: LearnFromRunsOptions = {}): Promise<{ runs: number; tasks: number }> {
  const ignore = options.ignore ?? ((action: string) => action.startsWith('search_'));
  let runs = 0;
  let tasks = 0;
  for (const run of await store.listRuns({ status: 'succeeded', limit: options.limit ?? 1000 })) {
    if (run.task === null || run.task.trim() === '' || memory.hasLearnedRun(run.id)) continue;
    const actions = (await runSteps(store, run.id)).filter((step) => step.depth === 0 && step.status === 'ok' && step.kind === 'action' && !ignore(step.action)).map((step) => step.action);
    memory.markRunLearned(run.id);
    runs++;
    if (actions.length === 0) continue;
    memory.add(run.task, actions, `run:${run.id}`);
    tasks++;
  }
  return { runs, tasks };
}
