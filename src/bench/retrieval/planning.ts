import { createBuiltinFsmEnvironment } from '../../environments/index.js';
import { approveAll } from '../../execution/index.js';
import { createTempStore } from '../../internal/temp-store.js';
import type { STRATEGY_NAMES } from '../../planning/index.js';
import { allActions, createPlanner, plan, type CandidateProvider } from '../../planning/index.js';

import { createSimulatedPolicy } from '../../policies/simulated/index.js';
import { loadTokenCounter, retrieveCandidates, ToolIndex, ToolTokenAccount } from '../../retrieval/index.js';

type StrategyName = (typeof STRATEGY_NAMES)[number];

/*
 * Per-step retrieval in the planning loop: the same planner, on the 1,000-action `saas-admin` domain, with
 * the SIMULATED policy whose accuracy falls as more candidates are shown (threshold 20, 10% of the
 * accuracy lost per doubling beyond it, about what BFCL measured), shown either every action or the top k
 * retrieved for the task, the last action and the observation.
 */

export interface PlanningRetrievalRow {
  mode: 'all actions' | 'retrieval';
  strategy: StrategyName;
  runs: number;
  successes: number;
  /** Mean tool-definition tokens shown per policy call (gpt-tokenizer). */
  toolTokensPerCall: number;
  /** Mean candidates shown per policy call. */
  candidatesPerCall: number;
  /** Policy tokens per run as the simulated policy bills them. */
  policyTokensPerRun: number;
}

export interface PlanningRetrievalOptions {
  /** The first n tasks of saas-admin. Default: all of them. */
  tasks?: number;
  /** Policy seeds per task. Default 3. */
  seeds?: number;
  k?: number;
  strategies?: StrategyName[];
  /** The simulated policy's accuracy with at most `threshold` candidates. Default 0.7. */
  accuracy?: number;
  /** Accuracy lost per doubling of the candidates beyond the threshold (see AccuracyDecay). Default 0.1. */
  perDoubling?: number;
  /** Candidates up to which accuracy does not decay. Default 20. */
  threshold?: number;
  log?: (line: string) => void;
}

export async function runPlanningRetrieval(options: PlanningRetrievalOptions = {}): Promise<PlanningRetrievalRow[]> {
  const environment = createBuiltinFsmEnvironment('saas-admin');
  const count = await loadTokenCounter();
  const account = new ToolTokenAccount(environment.actions, count);
  const index = new ToolIndex({ actions: environment.actions });
  const k = options.k ?? 10;
  const accuracy = options.accuracy ?? 0.7;
  const accuracyDecay = { threshold: options.threshold ?? 20, perDoubling: options.perDoubling ?? 0.1 };
  const taskCount = Math.min(options.tasks ?? environment.tasks.length, environment.tasks.length);
  const seeds = options.seeds ?? 3;
  const probe = createSimulatedPolicy({ tasks: environment.tasks, accuracy, accuracyDecay });
  options.log?.(
    `  simulated policy accuracy by candidates shown (p = ${accuracy}, threshold ${accuracyDecay.threshold}, ${accuracyDecay.perDoubling * 100}% lost per doubling): ` +
      [k + 1, 20, 40, 80, 160, environment.actions.size].map((n) => `${n}: ${probe.effectiveAccuracy(n).toFixed(3)}`).join(', '),
  );
  options.log?.(`  ${taskCount} tasks x ${seeds} seeds per strategy and mode`);
  const temp = createTempStore('arbor-bench-retrieval-planning-');
  const rows: PlanningRetrievalRow[] = [];
  try {
    for (const strategy of options.strategies ?? (['greedy', 'best-first'] as StrategyName[])) {
      for (const mode of ['all actions', 'retrieval'] as const) {
        let shownTokens = 0;
        let shownCandidates = 0;
        let calls = 0;
        const measured = (provider: CandidateProvider): CandidateProvider => async (context) => {
          const candidates = await provider(context);
          calls++;
          shownCandidates += candidates.length;
          shownTokens += account.tokensOfAll(candidates.map((candidate) => candidate.name));
          return candidates;
        };
        const provider = mode === 'all actions' ? measured(allActions) : measured(async (context) => (await retrieveCandidates(index, context.state, { k })).candidates);
        let successes = 0;
        let runs = 0;
        let policyTokens = 0;
        for (let taskIndex = 0; taskIndex < taskCount; taskIndex++) {
          const task = environment.tasks[taskIndex];
          if (task === undefined) break;
          for (let seed = 1; seed <= seeds; seed++) {
            const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy, valueNoise: 0.2, seed: seed * 1000 + taskIndex, accuracyDecay });
            const result = await plan({ environment, task: task.id, planner: createPlanner(strategy), policy, store: temp.store, approval: approveAll, budget: { modelCalls: 300 }, candidates: provider });
            runs++;
            if (result.status === 'succeeded' && task.isDone(result.environment.observe())) successes++;
            policyTokens += result.spent.tokens;
          }
        }
        const row: PlanningRetrievalRow = { mode, strategy, runs, successes, toolTokensPerCall: shownTokens / Math.max(1, calls), candidatesPerCall: shownCandidates / Math.max(1, calls), policyTokensPerRun: policyTokens / Math.max(1, runs) };
        options.log?.(`  ${strategy.padEnd(10)} ${mode.padEnd(11)} success ${successes}/${runs}, ${row.candidatesPerCall.toFixed(0)} candidates and ${row.toolTokensPerCall.toFixed(0)} tool tokens per call, ${row.policyTokensPerRun.toFixed(0)} policy tokens per run`);
        rows.push(row);
      }
    }
  } finally {
    await temp.cleanup();
    index.close();
    account.close();
  }
  return rows;
}
