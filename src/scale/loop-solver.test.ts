import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepInDoubtError } from '../errors/index.js';
import { createTempStore } from '../internal/temp-store.js';
import type { Policy } from '../planning/policy.js';
import type { StepWrite, Store } from '../provenance/index.js';
import { ulid } from 'ulid';
import { expectedSteps, localReceipts, nextStepPolicy } from './fixtures/ledger-plugin.js';
import { ledgerSolveContext } from './fixtures/solve-context.js';
import { loopSolver } from './loop-solver.js';
import type { SolveContext, TaskJob } from './solver.js';

let temp: ReturnType<typeof createTempStore>;
beforeEach(() => {
  temp = createTempStore();
  localReceipts.clear();
});
afterEach(async () => {
  await temp.cleanup();
});

/** Counts the policy's calls. */
function countingPolicy(latencyMs = 0): Policy & { calls: number } {
  const inner = nextStepPolicy(latencyMs, false);
  const policy = {
    name: inner.name,
    calls: 0,
    propose: (...args: Parameters<Policy['propose']>) => {
      policy.calls++;
      return inner.propose(...args);
    },
    evaluate: inner.evaluate,
  };
  return policy;
}

/** A store that "dies" (throws, as a killed process would stop) on the n-th write of a kind. */
function dyingStore(store: Store, kind: 'insertStep' | 'completeStep', when: (step: StepWrite) => boolean): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === kind) {
        return async (step: StepWrite) => {
          if (when(step)) throw new Error('the process was killed');
          return (target[kind] as (write: StepWrite) => Promise<void>).call(target, step);
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function contextFor(job: TaskJob, store: Store, policy: Policy): SolveContext {
  return ledgerSolveContext(job, store, policy, 'test:1');
}

const jobFor = (invoice: number): TaskJob => ({ batchId: 'B1', index: invoice, runId: ulid(), spec: { environment: 'test/ledger', task: `pay-${invoice}`, approve: true } });

describe('loopSolver (strategy loop)', () => {
  it('solves a task, recording one decision and one step per action, with the world checkpointed', async () => {
    const policy = countingPolicy();
    const job = jobFor(3);
    const outcome = await loopSolver.solve(contextFor(job, temp.store, policy));
    expect(outcome).toMatchObject({ status: 'succeeded', steps: expectedSteps(3), modelCalls: expectedSteps(3), resumedAtSeq: 0 });
    const steps = await temp.store.listSteps(job.runId);
    expect(steps.map((step) => step.metadata.decision)).toEqual(steps.map((_, index) => index));
    expect(steps.every((step) => typeof step.metadata.checkpoint === 'object')).toBe(true);
    expect(await temp.store.getRun(job.runId)).toMatchObject({ status: 'succeeded', metadata: { outcome: 'succeeded', batchId: 'B1' } });
    expect(localReceipts.get(3)).toBe(1);
  });

  it('continues a run that died between a decision and its step: the decision is reused, nothing is repeated', async () => {
    const job = jobFor(2); // 6 steps: lookup, reserve, 3 installments, receipt
    const first = countingPolicy();
    await expect(loopSolver.solve(contextFor(job, dyingStore(temp.store, 'insertStep', (step) => step.seq === 3), first))).rejects.toThrow(/killed/);
    expect(first.calls).toBe(4);
    expect((await temp.store.listSteps(job.runId)).map((step) => step.seq)).toEqual([0, 1, 2]);

    const second = countingPolicy();
    const outcome = await loopSolver.solve(contextFor(job, temp.store, second));
    expect(outcome).toMatchObject({ status: 'succeeded', steps: 6, resumedAtSeq: 3, modelCalls: 6 });
    // Decision 3 was recorded before the crash: only decisions 4 and 5 are new.
    expect(second.calls).toBe(2);
    const steps = await temp.store.listSteps(job.runId);
    expect(steps.map((step) => [step.seq, step.action])).toEqual([
      [0, 'lookup_invoice'], [1, 'reserve_funds'], [2, 'transfer_installment'], [3, 'transfer_installment'], [4, 'transfer_installment'], [5, 'send_receipt'],
    ]);
    // The world was restored from the checkpoint: installments continue where they were, none is paid twice.
    expect(steps.slice(2, 5).map((step) => (step.output as { paid: number }).paid)).toEqual([1, 2, 3]);
    expect(localReceipts.get(2)).toBe(1);
    expect(await temp.store.getRun(job.runId)).toMatchObject({ status: 'succeeded', metadata: { resumedBy: [{ worker: 'test:1', atSeq: 3 }] } });
  });

  it('never executes an irreversible step whose outcome is in doubt', async () => {
    const job = jobFor(0); // lookup, reserve, 1 installment, receipt
    await expect(loopSolver.solve(contextFor(job, dyingStore(temp.store, 'completeStep', () => true), countingPolicy()))).rejects.toThrow(/killed/);
    expect(localReceipts.get(0)).toBe(1);
    const steps = await temp.store.listSteps(job.runId);
    expect(steps.at(-1)).toMatchObject({ action: 'send_receipt', status: 'running' });

    const again = countingPolicy();
    const error = await loopSolver.solve(contextFor(job, temp.store, again)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepInDoubtError);
    expect((error as StepInDoubtError).stepIds).toEqual([`${job.runId}:3`]);
    expect(again.calls).toBe(0);
    expect(localReceipts.get(0)).toBe(1);
  });

  it('reports a run that already ended without doing anything again', async () => {
    const job = jobFor(1);
    await loopSolver.solve(contextFor(job, temp.store, countingPolicy()));
    const again = countingPolicy();
    const outcome = await loopSolver.solve(contextFor(job, temp.store, again));
    expect(outcome).toMatchObject({ status: 'succeeded', alreadyFinished: true, steps: expectedSteps(1), modelCalls: expectedSteps(1) });
    expect(again.calls).toBe(0);
    expect(localReceipts.get(1)).toBe(1);
  });

  it('stops at the step budget and says so', async () => {
    const job: TaskJob = { ...jobFor(3), spec: { ...jobFor(3).spec, budget: { steps: 2 } } };
    const outcome = await loopSolver.solve(contextFor(job, temp.store, countingPolicy()));
    expect(outcome).toMatchObject({ status: 'budget-exhausted', steps: 2, reason: 'the steps budget ran out' });
    expect(await temp.store.getRun(job.runId)).toMatchObject({ status: 'failed', metadata: { outcome: 'budget-exhausted' } });
  });

  it('ends blocked when an irreversible action is not approved', async () => {
    const job = jobFor(0);
    const outcome = await loopSolver.solve({ ...contextFor(job, temp.store, countingPolicy()), approval: () => ({ approved: false, by: 'test', reason: 'no' }) });
    expect(outcome.status).toBe('blocked');
    expect(localReceipts.get(0)).toBeUndefined();
    expect(await temp.store.getRun(job.runId)).toMatchObject({ status: 'blocked' });
  });
});
