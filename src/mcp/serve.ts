import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createArborMcpServer, type ArborMcpServerOptions } from './action-server.js';
import { ToolIndex } from '../retrieval/index.js';
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

/**
 * Serves an action space over streamable HTTP, one recorded run per client session. Sessions share one
 * ToolIndex (built here unless `index` is given), which follows the action space as it changes.
 */
export async function serveActionsOverHttp(options: ArborMcpServerOptions & { port?: number; host?: string; sessionIdleTimeoutMs?: number }): Promise<McpHttpHost> {
  const { port, host, sessionIdleTimeoutMs, ...serverOptions } = options;
  const ownIndex = serverOptions.index === undefined ? new ToolIndex({ actions: serverOptions.actions }) : undefined;
  const shared = { ...serverOptions, index: serverOptions.index ?? (ownIndex as ToolIndex) };
  const hosted = await hostMcpOverHttp({
    createServer: () => createArborMcpServer(shared),
    ...(port === undefined ? {} : { port }),
    ...(host === undefined ? {} : { host }),
    ...(sessionIdleTimeoutMs === undefined ? {} : { sessionIdleTimeoutMs }),
  });
  return {
    url: hosted.url,
    port: hosted.port,
    get sessions() {
      return hosted.sessions;
    },
    close: async () => {
      await hosted.close();
      ownIndex?.close();
    },
  };
}
