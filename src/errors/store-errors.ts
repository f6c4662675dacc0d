import { ArborError } from './arbor-error.js';

/** The provenance store failed for a reason other than corruption or version. */
export class StoreError extends ArborError {
  constructor(message: string, options: { hint?: string; cause?: unknown; data?: Record<string, unknown> } = {}) {
    super('ARBOR_STORE', message, options);
    this.name = 'StoreError';
  }
}

/** The store file is damaged or is not an Arbor database. Nothing was written to it. */
export class StoreCorruptError extends ArborError {
  readonly location: string;

  constructor(location: string, detail: string, cause?: unknown) {
    super('ARBOR_STORE_CORRUPT', `The provenance store at ${location} is unreadable: ${detail}`, {
      hint: 'Nothing was written to it. Move the file aside (keep it for inspection) or point --store / ARBOR_STORE at another location.',
      cause,
      data: { location, detail },
    });
    this.name = 'StoreCorruptError';
    this.location = location;
  }
}

/** The store was written by a newer Arbor (or a schema this build does not know). Nothing was written to it. */
export class StoreVersionError extends ArborError {
  readonly location: string;
  readonly found: number;
  readonly supported: number;

  constructor(location: string, found: number, supported: number) {
    super(
      'ARBOR_STORE_VERSION',
      `The provenance store at ${location} has schema version ${found}, but this Arbor supports up to ${supported}`,
      {
        hint: 'Upgrade Arbor to open it, or use another store location; the file was left untouched.',
        data: { location, found, supported },
      },
    );
    this.name = 'StoreVersionError';
    this.location = location;
    this.found = found;
    this.supported = supported;
  }
}

/** A step with this identity was already recorded with different content. */
export class StepConflictError extends ArborError {
  constructor(stepId: string) {
    super('ARBOR_STEP_CONFLICT', `Step ${stepId} is already recorded with different content`, {
      hint: 'Step identities are deterministic (run id and sequence number): resume the run from its last committed step instead of writing it again.',
      data: { stepId },
    });
    this.name = 'StepConflictError';
  }
}
