import { performance } from 'node:perf_hooks';
import type { BudgetResource } from '../errors/index.js';
import type { PolicyUsage } from './policy.js';

/** Limits of one search. Every field is optional; an absent one is unlimited. */
export interface Budget {
  /** Policy (model) calls. */
  modelCalls?: number;
  /** Input plus output tokens billed by the policy. */
  tokens?: number;
  /** Nodes expanded (a node is expanded when its children are generated). */
  expansions?: number;
  /** Wall-clock time of the whole search, in milliseconds. */
  wallTimeMs?: number;
}

/** Exactly what a search spent. */
export interface Spent {
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** inputTokens + outputTokens. */
  tokens: number;
  expansions: number;
  /** Steps executed by the executor during the search (including committed ones). */
  steps: number;
  wallTimeMs: number;
  /** Time spent waiting for the policy (model time). */
  policyTimeMs: number;
  /**
   * Time spent in the executor and the environment: running actions and recording their steps (and
   * re-running them to rebuild states), starting the task, observing each new state and testing the goal.
   */
  executeTimeMs: number;
  /** Time spent recording the search itself: creating its run, writing the tree, the policy log and the outcome. */
  recordTimeMs: number;
  /** CPU time of this process during the search (on a busy machine wall time also counts waiting for a core). */
  cpuTimeMs: number;
}

/** A point in time, to measure a stretch of work (performance.now: cheap enough to take around every call). */
export type Mark = number;

/** Milliseconds since a mark. */
export interface Lap {
  wallMs: number;
}

function cpuNow(): number {
  // One system call: taken at the start and end of a search only.
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export function mark(): Mark {
  return performance.now();
}

export function lap(since: Mark): Lap {
  return { wallMs: performance.now() - since };
}

export const BUDGET_RESOURCES: readonly BudgetResource[] = ['modelCalls', 'tokens', 'expansions', 'wallTime'];

/**
 * Keeps account of a search's spending against its budget. Planners ask before they spend (`blocked…`),
 * so a budget is never exceeded: a call that cannot fit is not made.
 */
export class BudgetMeter {
  readonly budget: Readonly<Budget>;
  readonly #startedAt: number;
  readonly #deadline: AbortController = new AbortController();
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #startedCpu: number = cpuNow();
  #endedCpu: number | undefined;
  #spent: Omit<Spent, 'tokens' | 'wallTimeMs' | 'cpuTimeMs'> = {
    modelCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    expansions: 0,
    steps: 0,
    policyTimeMs: 0,
    executeTimeMs: 0,
    recordTimeMs: 0,
  };
  #endedAt: number | undefined;
  /** The deadline passed (what `signal.aborted` says, without AbortSignal's getters on every check). */
  #expired = false;

  constructor(budget: Budget = {}) {
    for (const [key, value] of Object.entries(budget)) {
      if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value) || value < 0)) {
        throw new RangeError(`budget.${key} must be a number >= 0, got ${String(value)}`);
      }
    }
    this.budget = { ...budget };
    this.#startedAt = performance.now();
    if (budget.wallTimeMs !== undefined && Number.isFinite(budget.wallTimeMs)) {
      this.#timer = setTimeout(() => {
        this.#expired = true;
        this.#deadline.abort(new Error('wall-time budget reached'));
      }, budget.wallTimeMs);
      this.#timer.unref();
    }
  }

  /** Aborted when the wall-time budget runs out: handed to policy calls and steps so they stop in time. */
  get signal(): AbortSignal {
    return this.#deadline.signal;
  }

  /** Whether the wall-time deadline has passed: `signal.aborted`, cheap enough to ask before every call. */
  get expired(): boolean {
    return this.#expired;
  }

  elapsedMs(): number {
    return (this.#endedAt ?? performance.now()) - this.#startedAt;
  }

  /** Tokens left, or undefined when unlimited. */
  remainingTokens(): number | undefined {
    return this.budget.tokens === undefined ? undefined : Math.max(0, this.budget.tokens - this.#tokens());
  }

  /** The resource that forbids one more policy call, or undefined when it may be made. */
  blockedCall(): BudgetResource | undefined {
    if (this.budget.modelCalls !== undefined && this.#spent.modelCalls + 1 > this.budget.modelCalls) return 'modelCalls';
    if (this.budget.tokens !== undefined && this.#tokens() >= this.budget.tokens) return 'tokens';
    return this.#timeUp() ? 'wallTime' : undefined;
  }

  /** The resource that forbids one more expansion, or undefined when it may be made. */
  blockedExpansion(): BudgetResource | undefined {
    if (this.budget.expansions !== undefined && this.#spent.expansions + 1 > this.budget.expansions) return 'expansions';
    return this.#timeUp() ? 'wallTime' : undefined;
  }

  /** The resource that forbids executing one more step, or undefined. */
  blockedStep(): BudgetResource | undefined {
    return this.#timeUp() ? 'wallTime' : undefined;
  }

  chargeCall(usage: PolicyUsage, time: Lap): void {
    this.#spent.modelCalls += usage.modelCalls;
    this.#spent.inputTokens += usage.inputTokens;
    this.#spent.outputTokens += usage.outputTokens;
    this.#spent.policyTimeMs += time.wallMs;
  }

  chargeExpansion(): void {
    this.#spent.expansions++;
  }

  get expansions(): number {
    return this.#spent.expansions;
  }

  chargeStep(time: Lap): void {
    this.#spent.steps++;
    this.#spent.executeTimeMs += time.wallMs;
  }

  /** Executor time that is not a new step (re-executing a path to rebuild a state). */
  chargeExecution(time: Lap): void {
    this.#spent.executeTimeMs += time.wallMs;
  }

  chargeRecording(time: Lap): void {
    this.#spent.recordTimeMs += time.wallMs;
  }

  /** Stops the clock; `spent()` afterwards reports the final figures. */
  end(): Spent {
    if (this.#endedAt === undefined) {
      this.#endedAt = performance.now();
      this.#endedCpu = cpuNow();
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    return this.spent();
  }

  /** Model calls and tokens spent so far: what progress events need, without `spent()`'s CPU-time system call. */
  spentCalls(): { modelCalls: number; tokens: number } {
    return { modelCalls: this.#spent.modelCalls, tokens: this.#tokens() };
  }

  spent(): Spent {
    return {
      ...this.#spent,
      tokens: this.#tokens(),
      wallTimeMs: this.elapsedMs(),
      cpuTimeMs: (this.#endedCpu ?? cpuNow()) - this.#startedCpu,
    };
  }

  #tokens(): number {
    return this.#spent.inputTokens + this.#spent.outputTokens;
  }

  #timeUp(): boolean {
    return this.budget.wallTimeMs !== undefined && (this.#expired || this.elapsedMs() >= this.budget.wallTimeMs);
  }
}
