import type { ActionSpace } from '../actions/index.js';
import type { JsonValue } from '../internal/json.js';

/** A task an agent can be given in an environment, with a success check written in code. */
export interface EnvironmentTask {
  id: string;
  /** What the agent is asked to do, in words. */
  instruction: string;
  /** True when the environment's observation shows the task done. */
  isDone(state: JsonValue): boolean;
}

/**
 * A world an agent acts in: its actions, and an observation of its current state. Actions close over the
 * environment's own state, so a fresh environment is a fresh world (replay and fork rely on that).
 */
export interface Environment {
  readonly name: string;
  readonly actions: ActionSpace;
  /** A JSON view of the current state, for preconditions, guards, policies and goal checks. */
  observe(): JsonValue;
  readonly tasks?: readonly EnvironmentTask[];
  /** Releases resources (connections, child processes). */
  close?(): void | Promise<void>;
}

/** Builds fresh environments of one kind. */
export interface EnvironmentFactory {
  readonly name: string;
  readonly description: string;
  create(): Environment | Promise<Environment>;
}
