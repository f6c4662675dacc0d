import type { ArborError } from '../errors/index.js';
import type { StepRecord, StepStatus } from '../provenance/index.js';

/** The outcome of one executed step, as recorded. */
export interface StepResult {
  ok: boolean;
  status: StepStatus;
  /** The validated output when `ok`; otherwise undefined. */
  output: unknown;
  /** The typed error when not `ok`. */
  error: ArborError | null;
  step: StepRecord;
}
