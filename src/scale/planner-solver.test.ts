import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResumeError } from '../errors/index.js';
import { createTempStore } from '../internal/temp-store.js';
import type { Policy } from '../planning/policy.js';
import { runRecord, stepWrite } from '../provenance/conformance/step-fixtures.js';
import type { Store } from '../provenance/index.js';
import { localReceipts, nextStepPolicy } from './fixtures/ledger-plugin.js';
import { ledgerSolveContext } from './fixtures/solve-context.js';
import { plannerSolver } from './planner-solver.js';
import type { SolveContext, TaskJob } from './solver.js';

let temp: ReturnType<typeof createTempStore>;
beforeEach(() => {
  temp = createTempStore();
  localReceipts.clear();
});
afterEach(async () => {
  await temp.cleanup();
});

function contextFor(job: TaskJob, store: Store, policy: Policy = nextStepPolicy(0, false)): SolveContext {
  return ledgerSolveContext(job, store, policy, 'test:2');
}

const jobFor = (invoice: number): TaskJob => ({ batchId: 'B2', index: invoice, runId: ulid(), spec: { environment: 'test/ledger', task: `pay-${invoice}`, strategy: 'astar', approve: true } });

describe('plannerSolver', () => {
  it('records the search under the run id the job was given', async () => {
    const job = jobFor(1);
    const outcome = await plannerSolver('astar').solve(contextFor(job, temp.store));
    expect(outcome).toMatchObject({ status: 'succeeded', runId: job.runId });
    expect(await temp.store.getRun(job.runId)).toMatchObject({ status: 'succeeded', metadata: { kind: 'search', strategy: 'astar', batchId: 'B2' } });
    expect(localReceipts.get(1)).toBe(1);
  });

  it('closes a search its dead worker left half-way and searches again in a new run it points to', async () => {
    const job = jobFor(2);
    await temp.store.createRun(runRecord(job.runId, { metadata: { kind: 'search' } }));
    await temp.store.insertStep(stepWrite(job.runId, 0, { action: 'lookup_invoice', effect: 'read', input: { invoice: 2 } }));
    const outcome = await plannerSolver('astar').solve(contextFor(job, temp.store));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.runId).not.toBe(job.runId);
    expect(outcome).toMatchObject({ abandoned: [job.runId] });
    expect(await temp.store.getRun(job.runId)).toMatchObject({ status: 'cancelled', metadata: { abandoned: { restartedAs: outcome.runId, by: 'test:2' } } });
    expect(await temp.store.getRun(outcome.runId)).toMatchObject({ status: 'succeeded', metadata: { restartOf: job.runId } });
    // Taken over once more after that: the chain is followed, and the ended search is reported, not redone.
    const again = await plannerSolver('astar').solve(contextFor(job, temp.store));
    expect(again).toMatchObject({ status: 'succeeded', runId: outcome.runId, alreadyFinished: true });
    expect(localReceipts.get(2)).toBe(1);
  });

  it('refuses to search again after an irreversible step was committed, and never repeats it', async () => {
    const job = jobFor(3);
    await temp.store.createRun(runRecord(job.runId));
    await temp.store.insertStep(stepWrite(job.runId, 0, { action: 'send_receipt', effect: 'irreversible', input: { invoice: 3 } }));
    const error = await plannerSolver('astar').solve(contextFor(job, temp.store)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResumeError);
    expect((error as ResumeError).message).toMatch(/irreversible step .*:0 \(send_receipt\)/);
    expect(localReceipts.get(3)).toBeUndefined();
    expect(await temp.store.getRun(job.runId)).toMatchObject({ status: 'running' });
  });

  it('refuses an unknown strategy with the known ones', () => {
    expect(() => plannerSolver('dijkstra')).toThrow(/dijkstra/);
  });
});
