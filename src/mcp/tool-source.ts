import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ActionSpace, AnyAction } from '../actions/index.js';
import { ArborError } from '../errors/index.js';
import { McpServerConnection, type McpConnectionOptions } from './connection.js';
import type { McpServerConfig } from './server-config.js';
import { isToolIncluded, toolToAction } from './tool-action.js';

export interface McpToolSourceOptions extends McpConnectionOptions {
  /** Told about tools left out (an unusable schema, a name clash) instead of failing the whole server. */
  onWarning?: (warning: ArborError) => void;
}

/** What a refresh of the tool list changed, by action name. */
export interface McpToolsChange {
  added: string[];
  removed: string[];
  changed: string[];
}

interface Entry {
  tool: Tool;
  hash: string;
  action: AnyAction;
}

/**
 * The tools of one MCP server as Arbor actions. Attached action spaces follow the server: when it sends
 * `notifications/tools/list_changed` (or comes back after a crash with other tools), the source lists the
 * tools again and adds, removes or replaces actions in every attached space.
 */
export class McpToolSource {
  readonly name: string;
  readonly connection: McpServerConnection;
  readonly #options: McpToolSourceOptions;
  #entries = new Map<string, Entry>();
  readonly #spaces = new Set<ActionSpace>();
  readonly #listeners = new Set<(change: McpToolsChange) => void>();
  #skipped: ArborError[] = [];
  #refreshing: Promise<McpToolsChange> | undefined;
  #refreshAgain = false;

  private constructor(name: string, connection: McpServerConnection, options: McpToolSourceOptions) {
    this.name = name;
    this.connection = connection;
    this.#options = options;
  }

  /** Connects to the server and lists its tools. */
  static async connect(name: string, config: McpServerConfig, options: McpToolSourceOptions = {}): Promise<McpToolSource> {
    const connection = await McpServerConnection.open(name, config, options);
    const source = new McpToolSource(name, connection, options);
    try {
      await source.refresh();
    } catch (error) {
      await connection.close();
      throw error;
    }
    connection.onToolsChanged(() => void source.#refreshQuietly());
    connection.onReconnected(() => void source.#refreshQuietly());
    return source;
  }

  /** The server's tools as actions, as of the last refresh. */
  get actions(): AnyAction[] {
    return [...this.#entries.values()].map((entry) => entry.action);
  }

  /** The tools as the server described them, as of the last refresh. */
  get tools(): Tool[] {
    return [...this.#entries.values()].map((entry) => entry.tool);
  }

  /** Tools left out at the last refresh, each with the typed reason. */
  get skipped(): readonly ArborError[] {
    return this.#skipped;
  }

  /** Adds the actions to a space and keeps them in step with the server; returns the function that detaches. */
  attach(space: ActionSpace): () => void {
    const added: string[] = [];
    try {
      for (const { action } of this.#entries.values()) {
        space.add(action);
        added.push(action.name);
      }
    } catch (error) {
      for (const name of added) space.remove(name);
      throw error;
    }
    this.#spaces.add(space);
    return () => {
      this.#spaces.delete(space);
      for (const { action } of this.#entries.values()) if (space.find(action.name) === action) space.remove(action.name);
    };
  }

  /** Heard after every refresh that changed something. */
  onChange(listener: (change: McpToolsChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Lists the tools again and brings attached spaces in step. Concurrent calls share one listing. */
  async refresh(): Promise<McpToolsChange> {
    if (this.#refreshing !== undefined) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      let change: McpToolsChange;
      do {
        this.#refreshAgain = false;
        change = this.#apply(await this.connection.listTools());
      } while (this.#refreshAgain);
      return change;
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async close(): Promise<void> {
    for (const space of [...this.#spaces]) {
      for (const { action } of this.#entries.values()) if (space.find(action.name) === action) space.remove(action.name);
    }
    this.#spaces.clear();
    await this.connection.close();
  }

  async #refreshQuietly(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      this.#options.onWarning?.(ArborError.from(error, 'ARBOR_MCP_CONNECTION'));
    }
  }

  #apply(tools: Tool[]): McpToolsChange {
    const config = this.connection.config;
    const next = new Map<string, Entry>();
    const skipped: ArborError[] = [];
    const change: McpToolsChange = { added: [], removed: [], changed: [] };
    for (const tool of tools) {
      if (!isToolIncluded(tool.name, config)) continue;
      // Change detection only: one server lists its tools with a stable key order.
      const hash = JSON.stringify(tool);
      const previous = this.#entries.get(tool.name);
      if (previous !== undefined && previous.hash === hash) {
        next.set(tool.name, previous);
        continue;
      }
      try {
        const action = toolToAction(this.name, tool, config, (name, args, options) => this.connection.callTool(name, args, options));
        next.set(tool.name, { tool, hash, action });
        (previous === undefined ? change.added : change.changed).push(action.name);
      } catch (error) {
        skipped.push(ArborError.from(error));
      }
    }
    for (const [toolName, entry] of this.#entries) if (!next.has(toolName)) change.removed.push(entry.action.name);

    const previous = this.#entries;
    this.#entries = next;
    this.#skipped = skipped;
    for (const space of this.#spaces) {
      for (const [toolName, entry] of previous) {
        if (next.get(toolName) !== entry && space.find(entry.action.name) === entry.action) space.remove(entry.action.name);
      }
      for (const [toolName, entry] of next) {
        if (previous.get(toolName) === entry) continue;
        try {
          space.add(entry.action);
        } catch (error) {
          skipped.push(ArborError.from(error));
        }
      }
    }
    for (const warning of skipped) this.#options.onWarning?.(warning);
    if (change.added.length + change.removed.length + change.changed.length > 0) for (const listener of this.#listeners) listener(change);
    return change;
  }
}
