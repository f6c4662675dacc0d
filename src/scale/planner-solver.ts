import { ulid } from 'ulid';
import { ResumeError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import { createPlanner, plan, STRATEGY_NAMES, type Budget, type PlanStatus, type Spent } from '../planning/index.js';
import type { RunRecord } from '../provenance/index.js';
import { assertNothingInDoubt } from './resume.js';
import type { SolveContext, TaskOutcome, TaskSolver, TaskStatus } from './solver.js';

/** The budget of a search whose task sets none, as `arbor bench planners` uses. */
export const DEFAULT_SEARCH_BUDGET: Budget = { modelCalls: 300 };

/** What a planner job returns beyond the common outcome: the search's exact spending, for benchmarks. */
export interface PlannerOutcome extends TaskOutcome {
  spent?: Spent;
  /** The run(s) of earlier attempts that were abandoned when their worker died mid-search. */
  abandoned?: string[];
}

/**
 * A planner as a job (strategies `astar`, `mcts`...). A search cannot continue half-way in another process
 * (its tree lives in memory until it ends), so a job handed over after its worker died closes the abandoned
 * run (`cancelled`, pointing at its successor) and searches again in a new run, unless that run holds an
 * irreversible step, committed or in doubt: then the job fails for review rather than risk doing it twice.
 * A run that ended is never searched again: its recorded outcome is returned.
 */
export function plannerSolver(strategy: string): TaskSolver {
  // Fail early on an unknown name (createPlanner throws a usage error listing the known ones).
  createPlanner(strategy);
  return {
    name: strategy,
    description: `the ${strategy} planner (a job taken over after a crash searches again in a new run)`,
    async solve(context: SolveContext): Promise<PlannerOutcome> {
      const { store, job } = context;
      let runId = job.runId;
      const abandoned: string[] = [];
      for (;;) {
        const run = await store.getRun(runId);
        if (run === undefined) break;
        const successor = (run.metadata.abandoned as { restartedAs?: JsonValue } | undefined)?.restartedAs;
        if (run.status === 'cancelled' && typeof successor === 'string') {
          abandoned.push(runId);
          runId = successor;
          continue;
        }
        if (run.status !== 'running') return finishedOutcome(run, abandoned);
        const steps = await store.listSteps(runId);
        assertNothingInDoubt(runId, steps);
        const committed = steps.find((step) => step.effect === 'irreversible' && step.status === 'ok');
        if (committed !== undefined) {
          throw new ResumeError(
            runId,
            `its search was cut short after committing irreversible step ${committed.id} (${committed.action}); searching again could repeat it`,
            `Inspect the run (arbor show ${runId}) and finish the task by hand or with arbor fork.`,
          );
        }
        // The marker goes on the old run first: whoever finds it follows it to the new one.
        const next = ulid();
        await store.updateRun(runId, {
          status: 'cancelled',
          endedAt: Date.now(),
          metadata: { ...run.metadata, abandoned: { reason: 'its worker stopped in the middle of the search', by: context.workerId, restartedAs: next } },
        });
        abandoned.push(runId);
        runId = next;
        break;
      }

      const spec = job.spec;
      const budget: Budget = spec.budget === undefined
        ? DEFAULT_SEARCH_BUDGET
        : {
            ...(spec.budget.modelCalls === undefined ? {} : { modelCalls: spec.budget.modelCalls }),
            ...(spec.budget.tokens === undefined ? {} : { tokens: spec.budget.tokens }),
            ...(spec.budget.expansions === undefined ? {} : { expansions: spec.budget.expansions }),
            ...(spec.budget.wallTimeMs === undefined ? {} : { wallTimeMs: spec.budget.wallTimeMs }),
          };
      let steps = 0;
      const result = await plan({
        environment: context.environment,
        createEnvironment: context.createEnvironment,
        task: context.task,
        planner: createPlanner(strategy),
        policy: context.policy,
        store,
        budget,
        approval: context.approval,
        signal: context.signal,
        runId,
        metadata: { ...context.runMetadata, ...(abandoned.length === 0 ? {} : { restartOf: abandoned[abandoned.length - 1] ?? null }) },
        onStep: () => {
          steps++;
        },
        onEvent: (event) => {
          if (event.type === 'policy-call') context.progress({ steps, modelCalls: event.modelCalls, tokens: event.tokens });
        },
      });
      const succeeded = result.status === 'succeeded' && context.task.isDone(result.environment.observe());
      return {
        status: succeeded ? 'succeeded' : statusOf(result.status),
        runId: result.runId,
        steps: result.spent.steps,
        modelCalls: result.spent.modelCalls,
        tokens: result.spent.tokens,
        resumedAtSeq: 0,
        spent: result.spent,
        ...(abandoned.length === 0 ? {} : { abandoned }),
        ...(result.reason === undefined ? {} : { reason: result.reason }),
      };
    },
  };
}

function statusOf(status: PlanStatus): TaskStatus {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'budget-exhausted':
      return 'budget-exhausted';
    case 'awaiting-approval':
      return 'blocked';
    default:
      return 'failed';
  }
}

/** The outcome of a search that already ended (its job was retried after the run was closed). */
function finishedOutcome(run: RunRecord, abandoned: string[]): PlannerOutcome {
  const metadata = run.metadata;
  const spent = metadata.spent as unknown as Spent | undefined;
  const outcome = metadata.outcome as PlanStatus | undefined;
  return {
    status: outcome === undefined ? (run.status === 'succeeded' ? 'succeeded' : 'failed') : statusOf(outcome),
    runId: run.id,
    steps: spent?.steps ?? 0,
    modelCalls: spent?.modelCalls ?? 0,
    tokens: spent?.tokens ?? 0,
    resumedAtSeq: 0,
    alreadyFinished: true,
    ...(spent === undefined ? {} : { spent }),
    ...(abandoned.length === 0 ? {} : { abandoned }),
  };
}

/** A solver for each of the planning strategies. */
export function plannerSolvers(): TaskSolver[] {
  return STRATEGY_NAMES.map((name) => plannerSolver(name));
}

