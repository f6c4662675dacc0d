import { ArborError } from './arbor-error.js';

/** A labelled (query → relevant actions) file for retrieval learning has a malformed line. */
export class InvalidPairsError extends ArborError {
  constructor(source: string, line: number, reason: string) {
    super('ARBOR_INVALID_PAIRS', `${source}:${line}: ${reason}`, {
      hint: 'Each line must be a JSON object like {"query": "…", "actions": ["name", …]} (or "action": "name"). Nothing was learned.',
      data: { source, line },
    });
    this.name = 'InvalidPairsError';
  }
}
