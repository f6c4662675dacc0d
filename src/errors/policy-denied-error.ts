import { ArborError } from './arbor-error.js';

/** A policy rule denied the call, so it was blocked and not run. */
export class PolicyDeniedError extends ArborError {
  readonly action: string;
  readonly rule: string;

  constructor(action: string, rule: string, reason: string) {
    super('ARBOR_POLICY_DENIED', `Action "${action}" was denied by policy rule ${rule}: ${reason}`, {
      hint: `Run "arbor policy check ${action} '<args>'" to see how the rules decide; change the rule if the call should be allowed.`,
      data: { action, rule, reason },
    });
    this.name = 'PolicyDeniedError';
    this.action = action;
    this.rule = rule;
  }
}
