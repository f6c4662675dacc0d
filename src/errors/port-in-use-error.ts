import { ArborError } from './arbor-error.js';

/** A server could not listen because another process holds its port. */
export class PortInUseError extends ArborError {
  constructor(host: string, port: number, cause?: unknown) {
    super('ARBOR_PORT_IN_USE', `Port ${port} on ${host} is already in use`, {
      hint: 'Pick another with --port N, or --port 0 for any free port.',
      data: { host, port },
      cause,
    });
    this.name = 'PortInUseError';
  }
}
