import { ApprovalRequiredError, PolicyDeniedError } from '../errors/index.js';
import { normalizeDecision, type ApprovalPolicy } from '../execution/approval.js';
import type { Guard, GuardVerdict } from '../execution/index.js';
import type { JsonValue } from '../internal/json.js';
import type { PolicyRules } from './policy-rules.js';

export interface PolicyGuardOptions {
  /** Asked when a rule says `ask`. Default: nobody, so `ask` blocks the call as needing approval. */
  approval?: ApprovalPolicy;
  /** Key of the decision in step metadata (`guards.<name>`). Default `policy`. */
  name?: string;
}

/**
 * Applies policy rules to every call. `allow` lets it through, `deny` blocks it (PolicyDeniedError), `ask`
 * asks the approval policy and blocks unless it approves (ApprovalRequiredError). Every decision is
 * recorded with the step: the deciding rule, the decision and the reason.
 */
export function policyGuard(rules: PolicyRules, options: PolicyGuardOptions = {}): Guard {
  const name = options.name ?? 'policy';
  return {
    name,
    async before(call): Promise<GuardVerdict> {
      const decided = rules.decide({ action: call.action.name, effect: call.action.effect, source: call.action.source, input: call.input });
      const record = { decision: decided.decision, rule: decided.rule, mode: decided.mode, reason: decided.reason };
      if (decided.decision === 'allow') return { allow: true, note: record };
      if (decided.decision === 'deny') {
        const error = new PolicyDeniedError(call.action.name, decided.rule, decided.reason);
        return { allow: false, code: error.code, reason: decided.reason, error, data: record };
      }
      let approval: { approved: boolean; by: string; reason?: string };
      if (options.approval === undefined) approval = { approved: false, by: 'default', reason: `rule ${decided.rule} asks for approval and no approval policy was configured` };
      else {
        try {
          approval = normalizeDecision(
            await options.approval({
              runId: call.runId,
              stepId: call.stepId,
              action: call.action.name,
              description: call.action.description,
              effect: call.action.effect,
              input: call.input as JsonValue,
            }),
          );
        } catch (error) {
          approval = { approved: false, by: 'policy', reason: `the approval policy threw: ${error instanceof Error ? error.message : String(error)}` };
        }
      }
      const asked = { ...record, approved: approval.approved, by: approval.by, ...(approval.reason === undefined ? {} : { approvalReason: approval.reason }) };
      if (approval.approved) return { allow: true, note: asked };
      const error = new ApprovalRequiredError(call.action.name, approval.reason ?? `rule ${decided.rule} asks for approval`);
      return { allow: false, code: error.code, reason: approval.reason ?? 'not approved', error, data: asked };
    },
  };
}
