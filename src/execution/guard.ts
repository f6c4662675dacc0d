import type { AnyAction } from '../actions/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';

/** What a guard sees of a call. `state` is the environment's observation when the step started. */
export interface GuardCall {
  runId: string;
  stepId: string;
  action: AnyAction;
  input: unknown;
  state: unknown;
}

export type GuardVerdict =
  | { allow: true; note?: JsonObject }
  | { allow: false; code: string; reason: string; data?: JsonObject };

/**
 * A check the executor applies to every call: `before` can block it (recorded as a blocked step), `after`
 * can fail it (recorded as a failed step), and `commit` hears every successful step (to move a stage
 * machine, say). Stage machines, policy rules and argument masks are guards.
 */
export interface Guard {
  readonly name: string;
  before?(call: GuardCall): GuardVerdict | Promise<GuardVerdict>;
  after?(call: GuardCall & { output: JsonValue }): GuardVerdict | Promise<GuardVerdict>;
  commit?(call: GuardCall & { output: JsonValue }): void | Promise<void>;
}
