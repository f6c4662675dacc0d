import { ArborError } from './arbor-error.js';

/** A run, step or other record was asked for by an id the store does not hold. */
export class NotFoundError extends ArborError {
  constructor(kind: string, id: string, hint?: string) {
    super('ARBOR_NOT_FOUND', `No ${kind} "${id}" in the provenance store`, {
      hint: hint ?? 'Run "arbor runs" to list what is recorded.',
      data: { kind, id },
    });
    this.name = 'NotFoundError';
  }
}
