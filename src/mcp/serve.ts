import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createArborMcpServer, type ArborMcpServerOptions } from './action-server.js';
import { hostMcpOverHttp, type McpHttpHost } from './http-host.js';

/**
 * Serves an action space to one MCP client over stdin/stdout. Resolves when the client disconnects
 * (stdin closes). Nothing else may write to stdout meanwhile: it carries the protocol.
 */
export async function serveActionsOverStdio(options: ArborMcpServerOptions): Promise<void> {
  const server = createArborMcpServer(options);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close();
}

/** Serves an action space over streamable HTTP, one recorded run per client session. */
export async function serveActionsOverHttp(options: ArborMcpServerOptions & { port?: number; host?: string }): Promise<McpHttpHost> {
  const { port, host, ...serverOptions } = options;
  return hostMcpOverHttp({ createServer: () => createArborMcpServer(serverOptions), ...(port === undefined ? {} : { port }), ...(host === undefined ? {} : { host }) });
}
