import { NotFoundError, UsageError } from '../errors/index.js';
import type { RunRecord, StepRecord, Store } from './store.js';

/** Resolves a full run id or a unique prefix of one (as people type them). */
export async function resolveRunId(store: Store, idOrPrefix: string): Promise<string> {
  const ref = idOrPrefix.trim();
  if (ref === '') throw new UsageError('A run id is required', 'Run "arbor runs" to list recorded runs.');
  if ((await store.getRun(ref)) !== undefined) return ref;
  // Run ids are upper-case ULIDs; accept a prefix typed in either case.
  let matches = await store.findRunIds(ref, 10);
  if (matches.length === 0 && ref !== ref.toUpperCase()) matches = await store.findRunIds(ref.toUpperCase(), 10);
  if (matches.length === 0) throw new NotFoundError('run', ref);
  if (matches.length > 1) {
    throw new UsageError(`Run id "${ref}" is ambiguous`, 'Type more characters of the id.', { matches });
  }
  return matches[0] as string;
}

export async function getRunOrThrow(store: Store, runId: string): Promise<RunRecord> {
  const run = await store.getRun(runId);
  if (run === undefined) throw new NotFoundError('run', runId);
  return run;
}

/** Every step of a run in seq order, including the prefix a fork shares with its parent (recursively). */
export async function runSteps(store: Store, runId: string): Promise<StepRecord[]> {
  const run = await getRunOrThrow(store, runId);
  const own = await store.listSteps(runId);
  if (run.parentRunId === null || run.forkSeq === null) return own;
  const forkSeq = run.forkSeq;
  const inherited = (await runSteps(store, run.parentRunId)).filter((step) => step.seq < forkSeq);
  return [...inherited, ...own];
}

/** Finds a step of a run by its full id or by its seq number within the run. */
export async function resolveStep(store: Store, runId: string, ref: string | number): Promise<StepRecord> {
  const steps = await runSteps(store, runId);
  const text = String(ref).trim();
  const step = /^\d+$/.test(text) ? steps.find((s) => s.seq === Number(text)) : steps.find((s) => s.id === text);
  if (step === undefined) {
    throw new NotFoundError('step', `${text} in run ${runId}`, `Run "arbor show ${runId}" to see its steps (seq numbers 0-${Math.max(0, steps.length - 1)}).`);
  }
  return step;
}

/** The chain of steps that led to `stepId`, from the root of the run's DAG down to the step itself. */
export async function lineage(store: Store, stepId: string): Promise<StepRecord[]> {
  const chain: StepRecord[] = [];
  const seen = new Set<string>();
  let current: string | null = stepId;
  while (current !== null) {
    if (seen.has(current)) break;
    seen.add(current);
    const step = await store.getStep(current);
    if (step === undefined) {
      if (chain.length === 0) throw new NotFoundError('step', current);
      break;
    }
    chain.push(step);
    current = step.parentStepId;
  }
  return chain.reverse();
}

export type StepChange = 'action' | 'input' | 'output' | 'status';

export interface StepDiff {
  seq: number;
  kind: 'same' | 'changed' | 'left-only' | 'right-only';
  /** The very same recorded step (a fork's shared prefix). */
  shared: boolean;
  changes: StepChange[];
  left?: StepRecord;
  right?: StepRecord;
}

export interface RunDiff {
  left: RunRecord;
  right: RunRecord;
  entries: StepDiff[];
  /** seq of the first entry that is not `same`, or null when the runs agree step for step. */
  firstDivergence: number | null;
}

/** Step-by-step comparison of two runs, aligned by seq, by action, input hash, output hash and status. */
export async function diffRuns(store: Store, leftId: string, rightId: string): Promise<RunDiff> {
  const [left, right] = await Promise.all([getRunOrThrow(store, leftId), getRunOrThrow(store, rightId)]);
  const [leftSteps, rightSteps] = await Promise.all([runSteps(store, leftId), runSteps(store, rightId)]);
  const bySeq = new Map<number, { left?: StepRecord; right?: StepRecord }>();
  for (const step of leftSteps) bySeq.set(step.seq, { left: step });
  for (const step of rightSteps) bySeq.set(step.seq, { ...bySeq.get(step.seq), right: step });
  const entries: StepDiff[] = [...bySeq.entries()]
    .sort(([a], [b]) => a - b)
    .map(([seq, pair]) => compareSteps(seq, pair.left, pair.right));
  const divergent = entries.find((entry) => entry.kind !== 'same');
  return { left, right, entries, firstDivergence: divergent?.seq ?? null };
}

function compareSteps(seq: number, left: StepRecord | undefined, right: StepRecord | undefined): StepDiff {
  if (left === undefined) return { seq, kind: 'right-only', shared: false, changes: [], ...(right ? { right } : {}) };
  if (right === undefined) return { seq, kind: 'left-only', shared: false, changes: [], left };
  const changes: StepChange[] = [];
  if (left.action !== right.action) changes.push('action');
  if (left.inputHash !== right.inputHash) changes.push('input');
  if (left.outputHash !== right.outputHash) changes.push('output');
  if (left.status !== right.status) changes.push('status');
  return { seq, kind: changes.length === 0 ? 'same' : 'changed', shared: left.id === right.id, changes, left, right };
}

export interface RunExport {
  format: 'arbor-run';
  version: 1;
  run: RunRecord;
  steps: StepRecord[];
}

/** A self-contained JSON document of a run and all its steps (inputs and outputs inlined), for audit. */
export async function exportRun(store: Store, runId: string): Promise<RunExport> {
  return { format: 'arbor-run', version: 1, run: await getRunOrThrow(store, runId), steps: await runSteps(store, runId) };
}
