import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

/** Anything the SDK can connect to a transport: `McpServer` or the low-level `Server`. */
export interface ConnectableMcpServer {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

export interface HostMcpOverHttpOptions {
  /** Builds one MCP server per client session. */
  createServer: () => ConnectableMcpServer;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default `/mcp`. */
  path?: string;
  /**
   * Ends sessions that sent no request for this long (clients that vanish without a DELETE would otherwise
   * hold a session and its run open forever). A client coming back gets 404 and starts a new session.
   * Default 30 minutes; 0 disables.
   */
  sessionIdleTimeoutMs?: number;
  /** Heard when a session ends (the client sent DELETE, it idled out, or the host closed). */
  onSessionClosed?: (sessionId: string) => void;
}

export interface McpHttpHost {
  /** The endpoint clients connect to, e.g. `http://127.0.0.1:3000/mcp`. */
  readonly url: string;
  readonly port: number;
  /** Open sessions. */
  readonly sessions: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Serves MCP over streamable HTTP with the SDK's transport, one server instance per session (the SDK
 * binds a server to one transport). Binds to loopback by default and, there, checks the Host header
 * against DNS rebinding.
 */
export async function hostMcpOverHttp(options: HostMcpOverHttpOptions): Promise<McpHttpHost> {
  const path = options.path ?? '/mcp';
  const host = options.host ?? '127.0.0.1';
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: ConnectableMcpServer; lastSeen: number }>();
  const idleTimeoutMs = options.sessionIdleTimeoutMs ?? 30 * 60_000;
  const closings = new Set<Promise<void>>();
  let port = 0;

  const endSession = (sessionId: string) => {
    const session = sessions.get(sessionId);
    if (session === undefined) return;
    sessions.delete(sessionId);
    const closing = session.server.close().catch(() => undefined);
    closings.add(closing);
    void closing.finally(() => closings.delete(closing));
    options.onSessionClosed?.(sessionId);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return reply(response, 404, `Not found: the MCP endpoint is ${path}`);
    const sessionHeader = request.headers['mcp-session-id'];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    const body = request.method === 'POST' ? await readJson(request) : undefined;
    if (body instanceof Error) return reply(response, 400, body.message, -32700);

    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      // 404 tells a client (per the specification) that its session is gone and it must start a new one.
      if (session === undefined) return reply(response, 404, 'Session not found', -32001);
      session.lastSeen = Date.now();
      return session.transport.handleRequest(request, response, body);
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) {
      return reply(response, 400, 'Bad request: no session; send an initialize request first', -32000);
    }
    const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => endSession(id),
      ...(loopback ? { enableDnsRebindingProtection: true, allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`] } : {}),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) endSession(transport.sessionId);
    };
    const server = options.createServer();
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  };

  const httpServer = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, error instanceof Error ? error.message : String(error), -32603);
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  port = (httpServer.address() as AddressInfo).port;
  const sweeper =
    idleTimeoutMs > 0
      ? setInterval(() => {
          const now = Date.now();
          for (const [id, session] of sessions) if (now - session.lastSeen > idleTimeoutMs) endSession(id);
        }, Math.max(10, Math.min(idleTimeoutMs / 2, 60_000))).unref()
      : undefined;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}${path}`,
    port,
    get sessions() {
      return sessions.size;
    },
    close: async () => {
      if (sweeper !== undefined) clearInterval(sweeper);
      for (const id of [...sessions.keys()]) endSession(id);
      await Promise.all([...closings]);
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

function reply(response: ServerResponse, status: number, message: string, code = -32000): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return new Error(`Request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return new Error('Parse error: the request body is not JSON');
  }
}
