import { ArborError } from './arbor-error.js';

/** An MCP tool ran and reported failure (`isError: true` in its result). */
export class McpToolError extends ArborError {
  readonly server: string;
  readonly tool: string;

  constructor(server: string, tool: string, detail: string, content: unknown) {
    super('ARBOR_MCP_TOOL_ERROR', `MCP tool "${tool}" on server "${server}" reported an error: ${detail}`, {
      hint: 'The tool ran and refused or failed; read its message and change the arguments.',
      data: { server, tool, content },
    });
    this.name = 'McpToolError';
    this.server = server;
    this.tool = tool;
  }
}
