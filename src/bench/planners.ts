import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBuiltinFsmEnvironment, type FsmEnvironment } from '../environments/index.js';
import { approveAll } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { createPlanner, STRATEGY_NAMES, plan, type Budget } from '../planning/index.js';
import { createSimulatedPolicy } from '../policies/simulated/index.js';
import { percentile, type Benchmark } from './benchmark.js';

export const BENCH_DOMAINS = ['warehouse', 'saas-admin', 'maze', 'checkout', 'travel', 'lab'] as const;

export interface PlannersBenchmarkOptions {
  strategies?: readonly string[];
  domains?: readonly string[];
  /** Tasks per domain (the first n). Default 4. */
  tasks?: number;
  /** Seeds of the simulated policy per task. Default 2. */
  seeds?: number;
  /** (p, σ) pairs. Default [{ accuracy: 0.7, valueNoise: 0.2 }]. */
  grid?: readonly { accuracy: number; valueNoise: number }[];
  /** The same budget for every search. Default 300 model calls. */
  budget?: Budget;
  /** Unmeasured searches per strategy and domain before the measured ones (see the warm-up below). Default 5. */
  warmup?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface PlannersRow {
  strategy: string;
  accuracy: number;
  valueNoise: number;
  /** 'all' or one domain. */
  domain: string;
  runs: number;
  successes: number;
  successRate: number;
  /** Wilson 95% interval of the success rate. */
  ci95: [number, number];
  meanModelCalls: number;
  meanTokens: number;
  meanExpansions: number;
  meanWallMs: number;
  /** Planner overhead per expansion, µs: search time minus model, executor and recording time, over all runs. */
  overheadUsPerExpansion: number;
  /** Median and 10th percentile over runs of each run's overhead per expansion (a busy machine inflates the mean). */
  overheadMedianUs: number;
  overheadP10Us: number;
  /** Executor time per executed step (running the action and recording it), µs. */
  executeUsPerStep: number;
  /** Recording of the search itself (run, tree, policy log) per expansion, µs. */
  recordUsPerExpansion: number;
}

export interface PlannersReport {
  simulated: true;
  note: string;
  settings: { strategies: string[]; domains: string[]; tasks: number; seeds: number; grid: { accuracy: number; valueNoise: number }[]; budget: Budget; warmup?: number };
  rows: PlannersRow[];
}

/** Wilson score interval for a binomial proportion at 95%. */
export function wilson(successes: number, runs: number): [number, number] {
  if (runs === 0) return [0, 1];
  const z = 1.959964;
  const p = successes / runs;
  const denominator = 1 + (z * z) / runs;
  const centre = (p + (z * z) / (2 * runs)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / runs + (z * z) / (4 * runs * runs))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** One search's figures: what the planners report aggregates (in-process or from queue workers). */
export interface PlannerSample {
  strategy: string;
  accuracy: number;
  valueNoise: number;
  domain: string;
  success: boolean;
  modelCalls: number;
  tokens: number;
  expansions: number;
  steps: number;
  wallMs: number;
  policyMs: number;
  executeMs: number;
  recordMs: number;
  cpuMs: number;
}

/**
 * Runs every strategy on every domain's first tasks, over seeds and a (p, σ) grid, with the SIMULATED
 * policy, and aggregates success (with a 95% interval), spending and planner overhead. Each (task, seed)
 * gets the same policy seed for every strategy, and strategies are interleaved so machine noise hits all.
 */
export async function runPlannersBenchmark(options: PlannersBenchmarkOptions = {}): Promise<PlannersReport> {
  const strategies = [...(options.strategies ?? STRATEGY_NAMES)];
  const domains = [...(options.domains ?? BENCH_DOMAINS)];
  const tasks = options.tasks ?? 4;
  const seeds = options.seeds ?? 2;
  const warmup = options.warmup ?? 5;
  const grid = [...(options.grid ?? [{ accuracy: 0.7, valueNoise: 0.2 }])];
  const budget: Budget = options.budget ?? { modelCalls: 300 };
  const temp = createTempStore('arbor-bench-planners-');
  const samples: PlannerSample[] = [];
  try {
    const environments = new Map<string, FsmEnvironment>(domains.map((domain) => [domain, createBuiltinFsmEnvironment(domain)]));
    const jobs: { domain: string; taskIndex: number; seed: number; cell: { accuracy: number; valueNoise: number } }[] = [];
    for (const cell of grid) for (const domain of domains) for (let taskIndex = 0; taskIndex < tasks; taskIndex++) for (let seed = 1; seed <= seeds; seed++) jobs.push({ domain, taskIndex, seed, cell });
    const total = jobs.length * strategies.length;
    let done = 0;
    // Warm-up, not measured: every strategy searches a few times on each domain, so candidate descriptors
    // are built and the JIT has compiled the planner's code before its overhead is timed (otherwise the
    // first runs of each strategy pay for compilation). It uses the tasks after the measured ones when
    // the domain has them, else the measured tasks with a policy seed no measured run uses.
    for (const domain of domains) {
      const environment = environments.get(domain) as FsmEnvironment;
      const heldOut = environment.tasks.slice(tasks);
      for (const strategy of strategies) {
        for (let run = 0; run < warmup; run++) {
          const task = heldOut.length > 0 ? heldOut[run % heldOut.length] : environment.tasks[run % Math.max(1, Math.min(tasks, environment.tasks.length))];
          if (task === undefined) continue;
          const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: grid[0]?.accuracy ?? 0.7, valueNoise: grid[0]?.valueNoise ?? 0.2, seed: plannerSeed(0, run) });
          await plan({ environment, task: task.id, planner: createPlanner(strategy), policy, store: temp.store, approval: approveAll, budget });
        }
      }
    }
    for (const job of jobs) {
      const environment = environments.get(job.domain) as FsmEnvironment;
      const task = environment.tasks[job.taskIndex];
      if (task === undefined) continue;
      for (const strategy of strategies) {
        const policy = createSimulatedPolicy({ tasks: environment.tasks, accuracy: job.cell.accuracy, valueNoise: job.cell.valueNoise, seed: plannerSeed(job.seed, job.taskIndex) });
        const result = await plan({ environment, task: task.id, planner: createPlanner(strategy), policy, store: temp.store, approval: approveAll, budget });
        const spent = result.spent;
        samples.push({
          strategy,
          accuracy: job.cell.accuracy,
          valueNoise: job.cell.valueNoise,
          domain: job.domain,
          success: result.status === 'succeeded' && task.isDone(result.environment.observe()),
          modelCalls: spent.modelCalls,
          tokens: spent.tokens,
          expansions: spent.expansions,
          steps: spent.steps,
          wallMs: spent.wallTimeMs,
          policyMs: spent.policyTimeMs,
          executeMs: spent.executeTimeMs,
          recordMs: spent.recordTimeMs,
          cpuMs: spent.cpuTimeMs,
        });
        done++;
        options.onProgress?.(done, total, `${strategy} on ${job.domain}/${task.id} (p=${job.cell.accuracy}, σ=${job.cell.valueNoise}, seed ${job.seed})`);
      }
    }
  } finally {
    await temp.cleanup();
  }
  return plannersReport({ strategies, domains, tasks, seeds, grid, budget, warmup }, samples);
}

/** The seed the simulated policy gets for a task and a seed number (the same for every strategy). */
export function plannerSeed(seed: number, taskIndex: number): number {
  return seed * 1000 + taskIndex;
}

/** Aggregates samples into the report's rows: per strategy and grid cell, over all domains and per domain. */
export function plannersReport(settings: PlannersReport['settings'], samples: readonly PlannerSample[]): PlannersReport {
  const { strategies, domains, grid } = settings;
  const rows: PlannersRow[] = [];
  for (const cell of grid) {
    for (const strategy of strategies) {
      for (const domain of ['all', ...domains]) {
        const group = samples.filter((sample) => sample.strategy === strategy && sample.accuracy === cell.accuracy && sample.valueNoise === cell.valueNoise && (domain === 'all' || sample.domain === domain));
        if (group.length > 0) rows.push(aggregate(strategy, cell, domain, group));
      }
    }
  }
  return {
    simulated: true,
    note: 'SIMULATION: the policy is a seeded simulation (src/policies/simulated), not a model; tokens are what a model would bill for the same prompts.',
    settings,
    rows,
  };
}

function aggregate(strategy: string, cell: { accuracy: number; valueNoise: number }, domain: string, group: PlannerSample[]): PlannersRow {
  const sum = (pick: (sample: PlannerSample) => number): number => group.reduce((total, sample) => total + pick(sample), 0);
  const successes = group.filter((sample) => sample.success).length;
  const expansions = Math.max(1, sum((sample) => sample.expansions));
  const perRun = group.filter((sample) => sample.expansions > 0).map((sample) => ((sample.wallMs - sample.policyMs - sample.executeMs - sample.recordMs) * 1000) / sample.expansions);
  return {
    strategy,
    accuracy: cell.accuracy,
    valueNoise: cell.valueNoise,
    domain,
    runs: group.length,
    successes,
    successRate: successes / group.length,
    ci95: wilson(successes, group.length),
    meanModelCalls: sum((sample) => sample.modelCalls) / group.length,
    meanTokens: sum((sample) => sample.tokens) / group.length,
    meanExpansions: sum((sample) => sample.expansions) / group.length,
    meanWallMs: sum((sample) => sample.wallMs) / group.length,
    overheadUsPerExpansion: (sum((sample) => sample.wallMs - sample.policyMs - sample.executeMs - sample.recordMs) * 1000) / expansions,
    overheadMedianUs: percentile(perRun, 50),
    overheadP10Us: percentile(perRun, 10),
    executeUsPerStep: (sum((sample) => sample.executeMs) * 1000) / Math.max(1, sum((sample) => sample.steps)),
    recordUsPerExpansion: (sum((sample) => sample.recordMs) * 1000) / expansions,
  };
}

const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** The results as a Markdown table (one row per strategy and grid cell, over all domains). */
export function renderPlannersTable(report: PlannersReport, domain = 'all'): string {
  const header = '| strategy | p | σ | success | 95% CI | model calls | tokens | expansions | wall ms | planner overhead µs/exp: mean · median · p10 |';
  const rule = '|---|---|---|---|---|---|---|---|---|---|';
  const lines = report.rows
    .filter((row) => row.domain === domain)
    .map(
      (row) =>
        `| ${row.strategy} | ${row.accuracy} | ${row.valueNoise} | ${(row.successRate * 100).toFixed(0)}% (${row.successes}/${row.runs}) | ${(row.ci95[0] * 100).toFixed(0)}–${(row.ci95[1] * 100).toFixed(0)}% | ${fixed(row.meanModelCalls)} | ${fixed(row.meanTokens, 0)} | ${fixed(row.meanExpansions)} | ${fixed(row.meanWallMs)} | ${fixed(row.overheadUsPerExpansion, 0)} · ${fixed(row.overheadMedianUs, 0)} · ${fixed(row.overheadP10Us, 0)} |`,
    );
  return [header, rule, ...lines].join('\n');
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

/** An SVG scatter chart: success rate against mean model calls (log scale), one point per strategy and grid cell. */
export function renderPlannersSvg(report: PlannersReport): string {
  const rows = report.rows.filter((row) => row.domain === 'all');
  const width = 720;
  const height = 440;
  const margin = { left: 60, right: 170, top: 40, bottom: 50 };
  const maxCalls = Math.max(10, ...rows.map((row) => row.meanModelCalls));
  const x = (calls: number) => margin.left + (Math.log10(Math.max(1, calls)) / Math.log10(maxCalls * 1.2)) * (width - margin.left - margin.right);
  const y = (rate: number) => margin.top + (1 - rate) * (height - margin.top - margin.bottom);
  const strategies = [...new Set(rows.map((row) => row.strategy))];
  const colour = (strategy: string) => PALETTE[strategies.indexOf(strategy) % PALETTE.length] ?? '#333';
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${margin.left}" y="22" font-size="14" font-weight="bold">Success vs model calls per strategy (SIMULATED policy)</text>`);
  for (const rate of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(rate)}" y2="${y(rate)}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${y(rate) + 4}" text-anchor="end">${rate * 100}%</text>`);
  }
  for (let decade = 1; decade <= maxCalls * 1.2; decade *= 10) {
    for (const factor of [1, 2, 5]) {
      const calls = decade * factor;
      if (calls > maxCalls * 1.2) continue;
      parts.push(`<line x1="${x(calls)}" x2="${x(calls)}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#eee"/>`);
      parts.push(`<text x="${x(calls)}" y="${height - margin.bottom + 16}" text-anchor="middle">${calls}</text>`);
    }
  }
  parts.push(`<text x="${(margin.left + width - margin.right) / 2}" y="${height - 12}" text-anchor="middle">mean model calls per task (log scale)</text>`);
  parts.push(`<text x="16" y="${(margin.top + height - margin.bottom) / 2}" transform="rotate(-90 16 ${(margin.top + height - margin.bottom) / 2})" text-anchor="middle">success rate</text>`);
  for (const row of rows) {
    const cx = x(row.meanModelCalls);
    parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(row.ci95[0])}" y2="${y(row.ci95[1])}" stroke="${colour(row.strategy)}" stroke-width="1.5" opacity="0.6"/>`);
    parts.push(`<circle cx="${cx}" cy="${y(row.successRate)}" r="5" fill="${colour(row.strategy)}"><title>${escape(`${row.strategy} p=${row.accuracy} σ=${row.valueNoise}: ${(row.successRate * 100).toFixed(0)}% at ${row.meanModelCalls.toFixed(1)} calls`)}</title></circle>`);
  }
  strategies.forEach((strategy, index) => {
    const ly = margin.top + 10 + index * 20;
    parts.push(`<circle cx="${width - margin.right + 20}" cy="${ly}" r="5" fill="${colour(strategy)}"/>`);
    parts.push(`<text x="${width - margin.right + 32}" y="${ly + 4}">${escape(strategy)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes the report as JSON and the chart as SVG into `directory`; returns their paths. */
export function writePlannersReport(report: PlannersReport, directory: string): { json: string; svg: string } {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, 'planners.json');
  const svg = join(directory, 'planners.svg');
  writeFileSync(json, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, ...report }, null, 2)}\n`);
  writeFileSync(svg, `${renderPlannersSvg(report)}\n`);
  return { json, svg };
}

/** `npm run bench planners [-- --full]`: the quick grid by default; --full runs 20 tasks, 3 seeds and a 3×3 (p, σ) grid. */
export const plannersBenchmark: Benchmark = {
  name: 'planners',
  description: 'success, model calls, tokens and planner overhead of every strategy on the FSM suite (SIMULATED policy)',
  async run({ full, log }) {
    const grid = full ? [0.5, 0.7, 0.9].flatMap((accuracy) => [0.1, 0.2, 0.4].map((valueNoise) => ({ accuracy, valueNoise }))) : [{ accuracy: 0.7, valueNoise: 0.2 }];
    let lastLog = 0;
    const report = await runPlannersBenchmark({
      tasks: full ? 20 : 4,
      seeds: full ? 3 : 2,
      grid,
      onProgress: (done, total, label) => {
        if (Date.now() - lastLog > 2000 || done === total) {
          lastLog = Date.now();
          log(`  ${done}/${total} ${label}`);
        }
      },
    });
    log(renderPlannersTable(report));
    log('\nOn the 1,000-action domain (saas-admin):');
    log(renderPlannersTable(report, 'saas-admin'));
    writeFileSync(join('bench-results', 'planners.svg'), `${renderPlannersSvg(report)}\n`);
    return { ...report };
  },
};
