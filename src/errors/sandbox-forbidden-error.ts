import { ArborError } from './arbor-error.js';

/** Sandboxed code asked for a capability the sandbox does not grant (modules, a tool outside its effect bound). */
export class SandboxForbiddenError extends ArborError {
  readonly what: string;

  constructor(what: string, detail: string, hint?: string, data: Record<string, unknown> = {}) {
    super('ARBOR_SANDBOX_FORBIDDEN', `The sandbox refused ${what}: ${detail}`, {
      hint: hint ?? 'The sandbox runs plain JavaScript with the tools it lists; call them with `await tools.<name>(input)`.',
      data: { what, ...data },
    });
    this.name = 'SandboxForbiddenError';
    this.what = what;
  }
}
