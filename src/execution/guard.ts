import type { AnyAction } from '../actions/index.js';
import type { ArborError } from '../errors/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';

/** What a guard sees of a call. `state` is the environment's observation when the step started. */
export interface GuardCall {
  runId: string;
  stepId: string;
  /** The step whose resulting state the call acts on; for a nested call, the calling step. */
  parentStepId: string | null;
  /** 0 for top-level calls, one more for each level of nesting (`ctx.call`). */
  depth: number;
  action: AnyAction;
  input: unknown;
  state: unknown;
}

/**
 * A guard's verdict. A note is recorded in the step's metadata under `guards.<name>` (notes from `after` are
 * merged into those from `before`). A refusal may carry the typed error to record; without one the
 * executor builds an ArborError from `code` and `reason`.
 */
export type GuardVerdict =
  | { allow: true; note?: JsonObject }
  | { allow: false; code: string; reason: string; data?: JsonObject; error?: ArborError };

/**
 * A check the executor applies to every call: `before` can block it (recorded as a blocked step), `after`
 * can fail it (recorded as a failed step), and `commit` hears every successful step (to move a stage
 * machine, say). Stage machines, policy rules and argument masks are guards. A guard that throws in
 * `before` or `after` stops the call (fail closed, ARBOR_GUARD_FAILED); `commit` must not throw.
 */
export interface Guard {
  readonly name: string;
  before?(call: GuardCall): GuardVerdict | Promise<GuardVerdict>;
  after?(call: GuardCall & { output: JsonValue }): GuardVerdict | Promise<GuardVerdict>;
  commit?(call: GuardCall & { output: JsonValue }): void | Promise<void>;
}
