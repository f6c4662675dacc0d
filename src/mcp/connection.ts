import { isAbsolute, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { ArborError, McpConnectionError, McpToolError } from '../errors/index.js';
import { isHttpServer, type McpServerConfig } from './server-config.js';
import type { McpToolOutput } from './tool-action.js';

export interface McpConnectionOptions {
  /** Directory that a relative `cwd` in the server config resolves against. Default: process.cwd(). */
  baseDir?: string;
  /** Receives the server's stderr, line by line (stdio servers). Default: kept, not printed. */
  onStderr?: (line: string) => void;
}

const STDERR_LINES_KEPT = 30;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const CLIENT_INFO = { name: 'arbor', version: '0.1.0' };

/**
 * One live connection to an MCP server through the official SDK client. A connection lost during a call
 * (the process exited, the endpoint vanished) fails that call with McpConnectionError; the next call
 * starts the server again (stdio) or reconnects (HTTP), and says so clearly if it cannot.
 */
export class McpServerConnection {
  readonly name: string;
  readonly config: McpServerConfig;
  readonly #options: McpConnectionOptions;
  #client: Client | undefined;
  #transport: Transport | undefined;
  #connecting: Promise<Client> | undefined;
  #closed = false;
  #connections = 0;
  readonly #stderr: string[] = [];
  readonly #toolsChanged = new Set<() => void>();
  readonly #reconnected = new Set<() => void>();
  readonly #inflight = new Set<AbortController>();

  private constructor(name: string, config: McpServerConfig, options: McpConnectionOptions) {
    this.name = name;
    this.config = config;
    this.#options = options;
  }

  /** Connects (spawning the server for stdio) and completes the MCP handshake. */
  static async open(name: string, config: McpServerConfig, options: McpConnectionOptions = {}): Promise<McpServerConnection> {
    const connection = new McpServerConnection(name, config, options);
    await connection.#ensureClient();
    return connection;
  }

  /** The spawned server's process id (stdio), while connected. */
  get pid(): number | undefined {
    return this.#transport instanceof StdioClientTransport ? (this.#transport.pid ?? undefined) : undefined;
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** How many times a connection was established (1 after open; more after reconnects). */
  get connectionCount(): number {
    return this.#connections;
  }

  /** The last lines the server wrote to stderr (stdio), for diagnostics. */
  get stderrTail(): string[] {
    return [...this.#stderr];
  }

  /** The server's tools, following `nextCursor` until the last page. */
  async listTools(): Promise<Tool[]> {
    const tools: Tool[] = [];
    const seenCursors = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.#guard((client) => client.listTools(cursor === undefined ? {} : { cursor }, { timeout: this.#connectTimeout() }), 'listing tools');
      tools.push(...page.tools);
      cursor = page.nextCursor;
      if (cursor !== undefined) {
        // A server that hands back a cursor it already gave would page forever.
        if (seenCursors.has(cursor)) throw new McpConnectionError(this.name, `tools/list returned the cursor "${cursor}" twice`, { hint: 'The server paginates incorrectly; report it to its authors.' });
        seenCursors.add(cursor);
      }
    } while (cursor !== undefined);
    return tools;
  }

  /** Calls a tool. A result with `isError` throws McpToolError; a lost connection throws McpConnectionError. */
  async callTool(tool: string, args: Record<string, unknown>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<McpToolOutput> {
    const controller = new AbortController();
    const forward = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) forward();
    options.signal?.addEventListener('abort', forward, { once: true });
    this.#inflight.add(controller);
    let result: CallToolResult;
    try {
      result = (await this.#guard(
        (client) => client.callTool({ name: tool, arguments: args }, undefined, { signal: controller.signal, ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}) }),
        `calling tool "${tool}"`,
      )) as CallToolResult;
    } catch (error) {
      // A call failed by #abortInflight carries the connection error as the abort reason.
      throw ArborError.isInstance(controller.signal.reason) ? controller.signal.reason : error;
    } finally {
      this.#inflight.delete(controller);
      options.signal?.removeEventListener('abort', forward);
    }
    const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
    if (result.isError === true) throw new McpToolError(this.name, tool, errorText(content), content);
    return { content, ...(result.structuredContent === undefined ? {} : { structuredContent: result.structuredContent }) };
  }

  /** Heard when the server sends `notifications/tools/list_changed`. */
  onToolsChanged(listener: () => void): () => void {
    this.#toolsChanged.add(listener);
    return () => this.#toolsChanged.delete(listener);
  }

  /** Heard after a lost connection was re-established (the tool list may differ). */
  onReconnected(listener: () => void): () => void {
    this.#reconnected.add(listener);
    return () => this.#reconnected.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => undefined);
  }

  async #ensureClient(): Promise<Client> {
    if (this.#closed) throw new McpConnectionError(this.name, 'the connection was closed', { hint: 'Open a new connection.' });
    if (this.#client !== undefined) return this.#client;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<Client> {
    const transport = this.#createTransport();
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      for (const listener of this.#toolsChanged) listener();
    });
    client.onerror = (error) => {
      // Over HTTP a dead server does not close anything: the SDK retries the event stream and the pending
      // request would wait for its timeout. Once it gives up on reaching the server, fail the calls now.
      if (this.#client === client && /Failed to reconnect SSE stream|Maximum reconnection attempts/i.test(error.message)) {
        this.#drop(client);
        this.#abortInflight(new McpConnectionError(this.name, `the connection was lost (${error.message}); the outcome of the call is unknown`, {
          cause: error,
          hint: 'The server went away. The next call starts a new connection.',
          data: this.#target(),
        }));
      }
    };
    client.onclose = () => {
      // The process exited or the session ended: forget the client so the next call reconnects.
      if (this.#client === client) this.#client = undefined;
    };
    try {
      await client.connect(transport, { timeout: this.#connectTimeout() });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new McpConnectionError(this.name, `could not connect: ${messageOf(error)}`, {
        cause: error,
        data: { stderr: this.stderrTail, ...this.#target() },
      });
    }
    this.#client = client;
    this.#transport = transport;
    this.#connections++;
    if (this.#connections > 1) for (const listener of this.#reconnected) listener();
    return client;
  }

  #createTransport(): Transport {
    const config = this.config;
    if (isHttpServer(config)) {
      return new StreamableHTTPClientTransport(new URL(config.url), config.headers === undefined ? undefined : { requestInit: { headers: config.headers } });
    }
    const baseDir = this.#options.baseDir ?? process.cwd();
    const cwd = config.cwd === undefined ? baseDir : isAbsolute(config.cwd) ? config.cwd : resolve(baseDir, config.cwd);
    const transport = new StdioClientTransport({ command: config.command, args: config.args ?? [], ...(config.env ? { env: config.env } : {}), cwd, stderr: 'pipe' });
    let partial = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        this.#stderr.push(line);
        if (this.#stderr.length > STDERR_LINES_KEPT) this.#stderr.shift();
        this.#options.onStderr?.(line);
      }
    });
    return transport;
  }

  async #guard<T>(operation: (client: Client) => Promise<T>, doing: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#ensureClient();
      try {
        return await operation(client);
      } catch (error) {
        const translated = this.#translate(error, doing, client);
        if (translated instanceof SessionExpired && attempt === 1) continue;
        throw translated instanceof SessionExpired
          ? new McpConnectionError(this.name, `the server forgot the session twice while ${doing}`, { cause: translated.cause, data: this.#target() })
          : translated;
      }
    }
  }

  #translate(error: unknown, doing: string, client: Client): unknown {
    if (ArborError.isInstance(error)) return error;
    if (error instanceof StreamableHTTPError && error.code === 404) {
      // The server forgot the session (it restarted): the request never ran, so starting a new session
      // and sending it again is safe, as the specification tells clients to do.
      this.#drop(client);
      return new SessionExpired(error);
    }
    if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
      this.#drop(client);
      return new McpConnectionError(this.name, `the connection closed while ${doing}; the outcome is unknown`, {
        cause: error,
        hint: 'The server process exited or the endpoint went away. The next call starts a new connection.',
        data: { stderr: this.stderrTail, ...this.#target() },
      });
    }
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
      return new McpConnectionError(this.name, `no answer while ${doing}: ${error.message}`, {
        cause: error,
        hint: 'The server is hanging or slow; raise timeoutMs for it in arbor.config.json if it is slow.',
        data: this.#target(),
      });
    }
    if (error instanceof McpError) return error;
    // Transport failures (spawn errors, refused HTTP connections) arrive as plain errors.
    if (error instanceof Error && /not connected|fetch failed|ECONNREFUSED|ECONNRESET|EPIPE|socket|terminated/i.test(`${error.message} ${messageOf(error.cause)}`)) {
      this.#drop(client);
      return new McpConnectionError(this.name, `the connection failed while ${doing}: ${messageOf(error)}`, { cause: error, data: { stderr: this.stderrTail, ...this.#target() } });
    }
    return error;
  }

  /** Forgets a client whose connection is gone, so the next call connects afresh. */
  #drop(client: Client | undefined): void {
    if (client === undefined || this.#client !== client) return;
    this.#client = undefined;
    void client.close().catch(() => undefined);
  }

  #abortInflight(reason: McpConnectionError): void {
    for (const controller of this.#inflight) controller.abort(reason);
    this.#inflight.clear();
  }

  #connectTimeout(): number {
    return this.config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  #target(): Record<string, unknown> {
    return isHttpServer(this.config) ? { url: this.config.url } : { command: this.config.command, args: this.config.args ?? [] };
  }
}

function errorText(content: unknown[]): string {
  const texts = content.flatMap((block) =>
    typeof block === 'object' && block !== null && (block as { type?: unknown }).type === 'text' ? [String((block as { text?: unknown }).text)] : [],
  );
  const text = texts.join(' ').trim();
  return text.length === 0 ? 'no message' : text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Internal marker: the HTTP server answered 404 for our session id. */
class SessionExpired extends Error {
  constructor(cause: unknown) {
    super('session expired', { cause });
  }
}
