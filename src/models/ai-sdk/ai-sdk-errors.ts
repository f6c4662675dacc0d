import { APICallError, InvalidResponseDataError, JSONParseError, TypeValidationError } from '@ai-sdk/provider';
import {
  ArborError,
  MalformedResponseError,
  ModelRateLimitedError,
  ModelRequestRejectedError,
  ModelServerError,
  ModelUnreachableError,
  TruncatedResponseError,
} from '../../errors/index.js';
import { parseRetryAfter } from '../retry-after.js';

/**
 * Turns what an AI SDK provider throws into Arbor's typed model errors. Abort errors pass through
 * untouched: the caller knows whether it was a timeout or a cancellation.
 */
export function toModelError(error: unknown, model: string): unknown {
  if (ArborError.isInstance(error) || isAbortError(error)) return error;
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const serverMessage = serverMessageOf(error);
    const retryAfterMs = parseRetryAfter(error.responseHeaders);
    if (status === 429) return new ModelRateLimitedError(model, { retryAfterMs, message: serverMessage, cause: error });
    if (status !== undefined && status >= 500) return new ModelServerError(model, status, { message: serverMessage, retryAfterMs, cause: error });
    if (status !== undefined && status >= 400) return new ModelRequestRejectedError(model, status, serverMessage, error);
    if (status === undefined) return new ModelUnreachableError(model, { url: error.url, reason: causeMessage(error) ?? error.message, cause: error });
    // A 2xx whose body could not be read or parsed.
    if (isConnectionFailure(error.cause)) return new TruncatedResponseError(model, 'connection', { received: error.responseBody, cause: error });
    return new MalformedResponseError(model, causeMessage(error) ?? error.message, error);
  }
  if (InvalidResponseDataError.isInstance(error) && /ended without a finish reason/i.test(error.message)) {
    return new TruncatedResponseError(model, 'connection', { cause: error });
  }
  if (JSONParseError.isInstance(error) || TypeValidationError.isInstance(error) || InvalidResponseDataError.isInstance(error)) {
    return new MalformedResponseError(model, error.message, error);
  }
  if (isConnectionFailure(error)) return new TruncatedResponseError(model, 'connection', { cause: error });
  return new ArborError('ARBOR_MODEL_FAILED', `Model "${model}" failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
    hint: 'Run with --debug to see the provider error.',
    data: { model },
  });
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError' || error.name === 'ResponseAborted');
}

/** Undici's "terminated" and socket errors: the connection went away mid-response. */
function isConnectionFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (current.message === 'terminated' || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'UND_ERR_CLOSED') return true;
    current = current.cause;
  }
  return false;
}

function serverMessageOf(error: APICallError): string | undefined {
  const data = error.data as { error?: { message?: unknown } } | undefined;
  const message = data?.error?.message;
  if (typeof message === 'string' && message !== '') return message;
  return error.message === '' ? undefined : error.message;
}

function causeMessage(error: Error): string | undefined {
  return error.cause instanceof Error ? error.cause.message : undefined;
}
