import { ArborError } from '../errors/index.js';

/** Documented exit statuses of the `arbor` command (README, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** Something failed: a run failed, or an unexpected error. */
  failure: 1,
  /** The command line was wrong (unknown option, bad argument). */
  usage: 2,
  /** A run stopped because a step was blocked (an irreversible action without approval, a precondition, a guard); `policy check` found the call would be blocked. */
  blocked: 3,
  /** A verify replay found a divergence (or would: the search was made by another revision of its strategy). */
  diverged: 4,
  /** The provenance store is unreadable: damaged, foreign or of a newer schema. */
  store: 5,
  /** A run, step or action that was named does not exist. */
  notFound: 6,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(error: unknown): ExitCodeValue {
  if (!ArborError.isInstance(error)) return ExitCode.failure;
  switch (error.code) {
    case 'ARBOR_USAGE':
    case 'ARBOR_INVALID_INPUT':
    case 'ARBOR_BATCH_FILE':
    case 'ARBOR_CONFIG_INVALID':
    case 'ARBOR_MODEL_SPEC':
    case 'ARBOR_MODEL_API_KEY_MISSING':
    case 'ARBOR_INVALID_PAIRS':
    case 'ARBOR_OPENAPI_DOCUMENT':
    case 'ARBOR_EMBEDDING_MODEL_REQUIRED':
      return ExitCode.usage;
    case 'ARBOR_NOT_FOUND':
    case 'ARBOR_NO_SUCH_ACTION':
      return ExitCode.notFound;
    case 'ARBOR_STRATEGY_REVISION':
      return ExitCode.diverged;
    case 'ARBOR_STORE_CORRUPT':
    case 'ARBOR_STORE_VERSION':
    case 'ARBOR_STORE':
      return ExitCode.store;
    case 'ARBOR_APPROVAL_REQUIRED':
    case 'ARBOR_PRECONDITION_FAILED':
    case 'ARBOR_STAGE_VIOLATION':
    case 'ARBOR_STAGE_UNKNOWN':
    case 'ARBOR_ARGUMENT_MASKED':
    case 'ARBOR_POLICY_DENIED':
    case 'ARBOR_GUARD_FAILED':
      return ExitCode.blocked;
    default:
      return ExitCode.failure;
  }
}
