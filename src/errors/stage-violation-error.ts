import { ArborError } from './arbor-error.js';

/** An action was called in a stage of the process where it is not allowed, so it was blocked and not run. */
export class StageViolationError extends ArborError {
  readonly action: string;
  readonly stage: string;

  constructor(action: string, stage: string, options: { machine: string; allowed: string[]; reason: string }) {
    const shown = options.allowed.slice(0, 12).join(', ');
    super('ARBOR_STAGE_VIOLATION', `Action "${action}" is not allowed in stage "${stage}": ${options.reason}`, {
      hint:
        options.allowed.length === 0
          ? `Nothing can run in stage "${stage}".`
          : `In stage "${stage}" only these may run: ${shown}${options.allowed.length > 12 ? ', ...' : ''}.`,
      data: { action, stage, machine: options.machine, reason: options.reason, allowed: options.allowed },
    });
    this.name = 'StageViolationError';
    this.action = action;
    this.stage = stage;
  }
}
