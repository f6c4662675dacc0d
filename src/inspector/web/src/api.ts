import type { ApiErrorBody } from '../../api-types.js';

export type * from '../../api-types.js';

/** An error the inspector's API answered with (its code, message and hint), or a network failure. */
export class ApiError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly status: number;

  constructor(status: number, code: string, message: string, hint?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

export async function getJson<T>(path: string, params: Record<string, string | number | undefined> = {}, signal?: AbortSignal): Promise<T> {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const url = `/api${path}${search.size > 0 ? `?${search}` : ''}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'ARBOR_INSPECTOR_UNREACHABLE', 'The inspector server does not answer', 'Is "arbor inspect" still running?');
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as ApiErrorBody | undefined;
    throw new ApiError(response.status, body?.error.code ?? 'ARBOR_HTTP', body?.error.message ?? `${response.status} ${response.statusText}`, body?.error.hint);
  }
  return (await response.json()) as T;
}

export const encode = encodeURIComponent;
