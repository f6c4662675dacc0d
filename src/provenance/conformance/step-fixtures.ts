import { hashJson } from '../content-hash.js';
import { stepIdOf, type RunRecord, type StepWrite } from '../store.js';

/** A step as the executor would write it, with defaults a test can override (also used by child processes). */
export function stepWrite(runId: string, seq: number, overrides: Partial<StepWrite> & { output?: unknown; input?: unknown } = {}): StepWrite {
  const { output: givenOutput, input: givenInput, ...rest } = overrides;
  // An explicit `output: undefined` means "no output" (an intent row or a failure), not "the default".
  const output = 'output' in overrides ? givenOutput : { ok: true, seq };
  const input = 'input' in overrides ? givenInput : { seq };
  const inputHashed = hashJson(input);
  const outputHashed = output === undefined ? null : hashJson(output);
  return {
    id: stepIdOf(runId, seq),
    runId,
    seq,
    parentStepId: seq === 0 ? null : stepIdOf(runId, seq - 1),
    depth: 0,
    kind: 'action',
    action: 'noop',
    effect: 'read',
    inputJson: inputHashed.json,
    inputHash: inputHashed.hash,
    outputJson: outputHashed?.json ?? null,
    outputHash: outputHashed?.hash ?? null,
    status: 'ok',
    error: null,
    startedAt: 1_700_000_000_000 + seq,
    endedAt: 1_700_000_000_001 + seq,
    durationUs: 1000,
    attempt: 1,
    nondeterminism: [],
    metadata: {},
    ...rest,
  };
}

/** A run record with defaults a test can override. */
export function runRecord(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return { id, status: 'running', task: 'a task', environment: null, parentRunId: null, forkSeq: null, createdAt: Date.now(), endedAt: null, metadata: {}, ...overrides };
}

