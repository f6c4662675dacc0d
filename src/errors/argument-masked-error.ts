import { ArborError } from './arbor-error.js';

/** An argument's value is not among the values its mask allows in the current state; the action was blocked. */
export class ArgumentMaskedError extends ArborError {
  readonly action: string;
  readonly argument: string;

  constructor(action: string, argument: string, options: { value: unknown; reason: string; mask: string; expected: string; allowed?: unknown[] }) {
    super('ARBOR_ARGUMENT_MASKED', `Action "${action}" was blocked: argument "${argument}" ${options.reason}`, {
      hint: `"${argument}" must be ${options.expected}${options.allowed === undefined ? '' : ` (for example ${options.allowed.slice(0, 5).map((value) => safe(value)).join(', ')})`}.`,
      data: { action, argument, value: options.value, reason: options.reason, mask: options.mask, ...(options.allowed === undefined ? {} : { allowed: options.allowed }) },
    });
    this.name = 'ArgumentMaskedError';
    this.action = action;
    this.argument = argument;
  }
}

function safe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return `<${typeof value}>`;
  }
}
