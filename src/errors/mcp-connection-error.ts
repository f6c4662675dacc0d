import { ArborError } from './arbor-error.js';

/**
 * An MCP server could not be reached, or its connection was lost (the process exited, the HTTP endpoint
 * went away) before a call finished. The call's outcome is unknown; the next call reconnects.
 */
export class McpConnectionError extends ArborError {
  readonly server: string;

  constructor(server: string, message: string, options: { cause?: unknown; hint?: string; data?: Record<string, unknown> } = {}) {
    super('ARBOR_MCP_CONNECTION', `MCP server "${server}": ${message}`, {
      hint: options.hint ?? `Check that the server's command or URL in arbor.config.json works on its own; its stderr is kept in the error data.`,
      cause: options.cause,
      data: { server, ...options.data },
    });
    this.name = 'McpConnectionError';
    this.server = server;
  }
}
