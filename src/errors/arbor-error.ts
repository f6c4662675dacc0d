const marker = Symbol.for('arbor.error');

export interface ArborErrorOptions {
  /** What the user can do about it, in one sentence. */
  hint?: string;
  cause?: unknown;
  /** Structured facts a caller can act on (argument paths, available names...). */
  data?: Record<string, unknown>;
}

/**
 * Base of every error Arbor raises on purpose. `code` is stable across releases and safe to branch on;
 * the message says what went wrong and `hint` what to do. Use `ArborError.isInstance` rather than
 * `instanceof`, which fails when two copies of the package are installed.
 */
export class ArborError extends Error {
  private readonly [marker] = true;
  readonly code: string;
  readonly hint: string | undefined;
  readonly data: Record<string, unknown>;

  constructor(code: string, message: string, options: ArborErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ArborError';
    this.code = code;
    this.hint = options.hint;
    this.data = options.data ?? {};
  }

  static isInstance(error: unknown): error is ArborError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }

  /** Turns anything thrown into an ArborError, keeping the original as `cause`. */
  static from(error: unknown, code = 'ARBOR_INTERNAL'): ArborError {
    if (ArborError.isInstance(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new ArborError(code, message, { cause: error });
  }

  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(Object.keys(this.data).length === 0 ? {} : { data: this.data }),
    };
  }
}

export interface SerializedError {
  code: string;
  message: string;
  hint?: string;
  data?: Record<string, unknown>;
}
