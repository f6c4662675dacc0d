import type { ActionSpace } from '../actions/index.js';
import type { JsonValue } from '../internal/json.js';

/** A step taken so far, as an oracle sees it. */
export interface OracleStep {
  action: string;
  input: JsonValue;
  status: string;
  output?: JsonValue;
}

/** Where an agent stands: the environment's observation and the steps that led there. */
export interface OracleView {
  observation: JsonValue;
  trajectory: readonly OracleStep[];
}

/**
 * What a perfect agent would know about a task: its optimal next actions and how far the goal is. Only
 * simulations use it (the simulated policy and the benchmarks); planners never see it.
 */
export interface TaskOracle {
  /** Actions with arguments that lie on a least-cost path to the goal from here (empty when done or stuck). */
  nextActions(view: OracleView): { action: string; input: JsonValue }[];
  /** Least total action cost from here to the goal: 0 when done, Infinity on a dead end. */
  costToGo(view: OracleView): number;
  /** The view after taking an action from here, predicted without executing it; undefined when it cannot tell. */
  predict?(view: OracleView, action: string, input: JsonValue): OracleView | undefined;
}

/** A task an agent can be given in an environment, with a success check written in code. */
export interface EnvironmentTask {
  id: string;
  /** What the agent is asked to do, in words. */
  instruction: string;
  /** True when the environment's observation shows the task done. */
  isDone(state: JsonValue): boolean;
  /** Knowledge of the optimal behaviour, for simulated policies and benchmarks. */
  readonly oracle?: TaskOracle;
}

/**
 * A world an agent acts in: its actions, and an observation of its current state. Actions close over the
 * environment's own state, so a fresh environment is a fresh world (replay and fork rely on that).
 */
export interface Environment {
  readonly name: string;
  readonly actions: ActionSpace;
  /**
   * A JSON view of the current state, for preconditions, guards, policies and goal checks. A frozen
   * object is taken to be immutable all the way down (planners serialize it once per object to key its
   * state): freeze deeply, or return a fresh or unfrozen object.
   */
  observe(): JsonValue;
  readonly tasks?: readonly EnvironmentTask[];
  /**
   * Sets the environment up for one of its tasks (a task may start from its own initial state). Planners
   * call it once, before the first step. Default: nothing to do.
   */
  startTask?(taskId: string): void | Promise<void>;
  /**
   * The complete current state, to be handed back to `restore` later. Planners use the pair to move between
   * branches of a search; without them they rebuild a state by re-executing the path from a fresh copy.
   */
  snapshot?(): JsonValue;
  restore?(snapshot: JsonValue): void;
  /**
   * True when the observation is the whole state: reading adds nothing to it, so two nodes with equal
   * observations are the same state. Otherwise planners also count what the path has read (an order looked
   * up is knowledge the observation does not show). Default false.
   */
  readonly observationIsComplete?: boolean;
  /** Releases resources (connections, child processes). */
  close?(): void | Promise<void>;
}

/** Builds fresh environments of one kind. */
export interface EnvironmentFactory {
  readonly name: string;
  readonly description: string;
  create(): Environment | Promise<Environment>;
}
