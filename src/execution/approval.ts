import type { Effect } from '../actions/index.js';
import type { JsonValue } from '../internal/json.js';

export interface ApprovalRequest {
  runId: string;
  stepId: string;
  action: string;
  description: string;
  effect: Effect;
  input: JsonValue;
}

export type ApprovalDecision = boolean | { approved: boolean; by?: string; reason?: string };

/**
 * Decides whether an irreversible action may run. Called once per irreversible step, before it runs;
 * the decision is recorded with the step. Anything but an explicit approval blocks the step.
 */
export type ApprovalPolicy = (request: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision>;

/** The default: every irreversible action is blocked until someone approves it. */
export const denyIrreversible: ApprovalPolicy = () => ({ approved: false, by: 'default', reason: 'no approval policy was configured' });

/** Approves every irreversible action (what `--yes` does). */
export const approveAll: ApprovalPolicy = () => ({ approved: true, by: 'pre-approved' });

export function normalizeDecision(decision: ApprovalDecision): { approved: boolean; by: string; reason?: string } {
  if (typeof decision === 'boolean') return { approved: decision, by: 'policy' };
  return { approved: decision.approved === true, by: decision.by ?? 'policy', ...(decision.reason ? { reason: decision.reason } : {}) };
}
