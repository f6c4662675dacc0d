import { performance } from 'node:perf_hooks';
import { ArborError } from '../errors/index.js';
import { Executor } from '../execution/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { CandidateAction, PolicyState, PolicyUsage, Proposal, TrajectoryStep } from '../planning/policy.js';
import type { StepRecord } from '../provenance/index.js';
import { assertNothingInDoubt, openJobRun, restoreWorld } from './resume.js';
import type { SolveContext, TaskOutcome, TaskSolver, TaskStatus } from './solver.js';

/** Store cache namespace of the greedy loop's recorded policy decisions. */
export const DECISION_NAMESPACE = 'arbor.decision';

interface Decision {
  proposals: Proposal[];
  usage: PolicyUsage;
}

/**
 * The agent loop (strategy `loop`): ask the policy for one action, execute it, repeat until the task is
 * done or the budget runs out. Every decision is recorded (in the store's cache, keyed by run and position) before
 * its action runs, and every action step carries the world's checkpoint, so a worker that takes the job
 * over restores the world, reuses the decisions already made and continues at the next seq: no model call
 * is paid twice and no committed step is executed again.
 */
export const loopSolver: TaskSolver = {
  name: 'loop',
  description: 'the agent loop: one policy call, then one step, until the task is done (resumes step by step after a crash)',
  async solve(context: SolveContext): Promise<TaskOutcome> {
    const { store, job, environment, task, policy, signal } = context;
    const runId = job.runId;
    const opened = await openJobRun(store, {
      id: runId,
      task: task.instruction,
      environment: environment.name,
      parentRunId: null,
      forkSeq: null,
      metadata: { ...context.runMetadata, kind: 'task', strategy: 'loop', policy: policy.name, budget: { ...job.spec.budget } as JsonObject },
    });
    const steps = opened.steps;
    const calls = logicalCalls(steps);
    if (opened.run.status !== 'running') {
      // The run ended but the job's completion was lost (the worker died in between): report, do nothing.
      const usage = await recordedUsage(context, calls.length);
      return outcomeOf(opened.run.status === 'succeeded' ? 'succeeded' : opened.run.status === 'blocked' ? 'blocked' : ((opened.run.metadata.outcome as TaskStatus | undefined) ?? 'failed'), {
        runId, steps: calls.length, usage, resumedAtSeq: 0, alreadyFinished: true, reason: opened.run.metadata.reason as string | undefined,
      });
    }
    assertNothingInDoubt(runId, steps);
    if (opened.created || steps.length === 0) await environment.startTask?.(task.id);
    else await restoreWorld(store, environment, runId, steps);
    if (!opened.created) {
      await store.updateRun(runId, { metadata: { ...opened.run.metadata, resumedBy: [...((opened.run.metadata.resumedBy as JsonValue[] | undefined) ?? []), { worker: context.workerId, atSeq: steps.length === 0 ? 0 : (steps[steps.length - 1]?.seq ?? 0) + 1 }] } });
    }

    const canSnapshot = typeof environment.snapshot === 'function' && typeof environment.restore === 'function';
    const executor = new Executor({
      store,
      actions: environment.actions,
      observe: () => environment.observe(),
      approval: context.approval,
      ...(canSnapshot ? { checkpoint: () => environment.snapshot?.() } : {}),
    });
    // A step blocked by a precondition or a guard is an observation for the policy; only a refused
    // approval ends the task.
    const run = await executor.resumeRun(runId, { stopOnBlocked: false });
    const resumedAtSeq = steps.length === 0 ? 0 : run.nextSeq;
    const trajectory: TrajectoryStep[] = calls.map(toTrajectoryStep);
    // Only a run that was started before can have recorded decisions (the last one perhaps not acted on).
    const usage = opened.created ? { modelCalls: 0, inputTokens: 0, outputTokens: 0 } : await recordedUsage(context, calls.length);
    let recordedDecisions = opened.created ? 0 : calls.length + 1;
    const candidates = candidatesOf(context);
    const budget = job.spec.budget ?? {};
    const started = performance.now();
    let taken = calls.length;
    context.progress({ steps: taken, modelCalls: usage.modelCalls, tokens: usage.inputTokens + usage.outputTokens });

    const finish = async (status: TaskStatus, reason?: string): Promise<TaskOutcome> => {
      if (run.status === 'running') {
        await run.end(status === 'succeeded' ? 'succeeded' : status === 'blocked' ? 'blocked' : 'failed', {
          outcome: status,
          ...(reason === undefined ? {} : { reason }),
          usage: { ...usage },
        });
      }
      return outcomeOf(status, { runId, steps: taken, usage, resumedAtSeq, ...(reason === undefined ? {} : { reason }) });
    };

    for (;;) {
      if (task.isDone(environment.observe())) return finish('succeeded');
      const exhausted = exhaustedResource(budget, taken, usage, performance.now() - started);
      if (exhausted !== undefined) return finish('budget-exhausted', `the ${exhausted} budget ran out`);
      const state: PolicyState = { task: { id: task.id, instruction: task.instruction }, observation: environment.observe(), trajectory };
      const decision = await decide(context, taken, state, candidates, budget.tokens === undefined ? undefined : budget.tokens - usage.inputTokens - usage.outputTokens);
      const known = decision.proposals.filter((proposal) => environment.actions.has(proposal.action));
      const choice = [...known].sort((a, b) => b.probability - a.probability)[0];
      if (choice === undefined) return finish('failed', 'the policy proposed no known action');
      const result = await run.execute(choice.action, choice.input, { signal, metadata: { decision: taken } });
      taken++;
      trajectory.push(toTrajectoryStep(result.step));
      context.progress({ steps: taken, modelCalls: usage.modelCalls, tokens: usage.inputTokens + usage.outputTokens });
      if (result.status === 'blocked' && result.error?.code === 'ARBOR_APPROVAL_REQUIRED') return finish('blocked', result.error.message);
      if (result.status === 'cancelled') throw result.error ?? new ArborError('ARBOR_CANCELLED', 'The task was cancelled');
    }

    async function decide(ctx: SolveContext, index: number, state: PolicyState, shown: CandidateAction[], remainingTokens: number | undefined): Promise<Decision> {
      const key = `${runId}:${index}`;
      // Decisions beyond the first one not acted on cannot exist: no need to ask the store for them.
      const recorded = index < recordedDecisions ? await ctx.store.getCached(DECISION_NAMESPACE, key) : undefined;
      recordedDecisions = 0;
      if (recorded !== undefined) return JSON.parse(recorded) as Decision;
      const result = await policy.propose(state, shown, 1, { signal, ...(remainingTokens === undefined ? {} : { remainingTokens }) });
      const decision: Decision = { proposals: result.value, usage: result.usage };
      // Recorded before its action runs: a worker taking over reuses it instead of asking (and paying) again.
      await ctx.store.putCached(DECISION_NAMESPACE, key, JSON.stringify(decision));
      usage.modelCalls += result.usage.modelCalls;
      usage.inputTokens += result.usage.inputTokens;
      usage.outputTokens += result.usage.outputTokens;
      return decision;
    }
  },
};

/** The calls the loop made: top-level action steps on their first attempt. */
function logicalCalls(steps: readonly StepRecord[]): StepRecord[] {
  return steps.filter((step) => step.depth === 0 && step.attempt === 1 && step.kind === 'action');
}

/** What the recorded decisions cost, including one made but not yet acted on. */
async function recordedUsage(context: SolveContext, decisions: number): Promise<PolicyUsage> {
  const usage: PolicyUsage = { modelCalls: 0, inputTokens: 0, outputTokens: 0 };
  for (let index = 0; index <= decisions; index++) {
    const recorded = await context.store.getCached(DECISION_NAMESPACE, `${context.job.runId}:${index}`);
    if (recorded === undefined) continue;
    const decision = JSON.parse(recorded) as Decision;
    usage.modelCalls += decision.usage.modelCalls;
    usage.inputTokens += decision.usage.inputTokens;
    usage.outputTokens += decision.usage.outputTokens;
  }
  return usage;
}

function exhaustedResource(budget: NonNullable<SolveContext['job']['spec']['budget']>, steps: number, usage: PolicyUsage, elapsedMs: number): string | undefined {
  if (budget.steps !== undefined && steps >= budget.steps) return 'steps';
  if (budget.modelCalls !== undefined && usage.modelCalls >= budget.modelCalls) return 'modelCalls';
  if (budget.tokens !== undefined && usage.inputTokens + usage.outputTokens >= budget.tokens) return 'tokens';
  if (budget.wallTimeMs !== undefined && elapsedMs >= budget.wallTimeMs) return 'wallTimeMs';
  return undefined;
}

function candidatesOf(context: SolveContext): CandidateAction[] {
  const actions = context.environment.actions;
  return actions.list().map((action) => ({
    name: action.name,
    description: action.description,
    effect: action.effect,
    cost: action.cost,
    inputSchema: actions.inputJsonSchema(action.name),
  }));
}

function toTrajectoryStep(step: StepRecord): TrajectoryStep {
  return {
    action: step.action,
    input: step.input,
    status: step.status,
    ...(step.output === undefined ? {} : { output: step.output }),
    ...(step.error === null ? {} : { error: step.error }),
  };
}

function outcomeOf(
  status: TaskStatus,
  facts: { runId: string; steps: number; usage: PolicyUsage; resumedAtSeq: number; alreadyFinished?: boolean; reason?: string | undefined },
): TaskOutcome {
  return {
    status,
    runId: facts.runId,
    steps: facts.steps,
    modelCalls: facts.usage.modelCalls,
    tokens: facts.usage.inputTokens + facts.usage.outputTokens,
    resumedAtSeq: facts.resumedAtSeq,
    ...(facts.alreadyFinished ? { alreadyFinished: true } : {}),
    ...(facts.reason === undefined ? {} : { reason: facts.reason }),
  };
}
