import { ArborError } from './arbor-error.js';

/** An HTTP call made by an imported operation answered with a non-success status. */
export class HttpStatusError extends ArborError {
  readonly status: number;

  constructor(action: string, method: string, url: string, status: number, body: string) {
    super('ARBOR_HTTP_STATUS', `Action "${action}": ${method} ${url} answered ${status}${body === '' ? '' : `: ${body.slice(0, 300)}`}`, {
      hint: status === 401 || status === 403 ? 'Check the credentials (the auth environment variable of the OpenAPI import).' : 'The response is recorded with the failed step.',
      data: { action, method, url, status, body: body.slice(0, 2_000) },
    });
    this.name = 'HttpStatusError';
    this.status = status;
  }
}
