import { ActionSpace } from '../actions/index.js';
import type { Environment, EnvironmentFactory } from '../environments/index.js';
import type { ArborError } from '../errors/index.js';
import type { JsonObject } from '../internal/json.js';
import type { McpToolSource } from '../mcp/index.js';
import { DEFAULT_CONFIG_ENVIRONMENT } from './schema.js';
import type { LoadedConfig } from './load-config.js';

export interface ConfigEnvironmentOptions {
  /** Told about tools left out and background refresh failures (default: ignored). */
  onWarning?: (warning: ArborError) => void;
  /** Receives MCP servers' stderr lines, prefixed by the server name (default: kept for error messages only). */
  onStderr?: (server: string, line: string) => void;
}

/** The environment a config describes: its MCP servers' tools (and, once imported, its OpenAPI operations). */
export interface ConfigEnvironment extends Environment {
  /** The connected MCP servers, by name. */
  readonly mcp: ReadonlyMap<string, McpToolSource>;
}

/**
 * Builds the environment a loaded config describes: connects to every MCP server (in parallel) and puts
 * their tools in one action space. Closing it stops the servers it spawned.
 */
export async function createConfigEnvironment(loaded: LoadedConfig, options: ConfigEnvironmentOptions = {}): Promise<ConfigEnvironment> {
  const actions = new ActionSpace();
  // Loaded on demand: the MCP SDK is not needed by commands that never touch a server.
  const { McpToolSource } = await import('../mcp/tool-source.js');
  const servers = Object.entries(loaded.config.mcpServers ?? {});
  const settled = await Promise.allSettled(
    servers.map(([name, server]) =>
      McpToolSource.connect(name, server, {
        baseDir: loaded.dir,
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
        ...(options.onStderr ? { onStderr: (line: string) => options.onStderr?.(name, line) } : {}),
      }),
    ),
  );
  const mcp = new Map<string, McpToolSource>();
  for (const [index, outcome] of settled.entries()) if (outcome.status === 'fulfilled') mcp.set(servers[index]?.[0] as string, outcome.value);
  const close = async () => {
    await Promise.all([...mcp.values()].map((source) => source.close()));
  };
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure !== undefined) {
    // One unreachable server fails the environment: a run must not silently lack tools it recorded using.
    await close();
    throw failure.reason;
  }
  try {
    for (const source of mcp.values()) source.attach(actions);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    name: loaded.config.name ?? DEFAULT_CONFIG_ENVIRONMENT,
    actions,
    mcp,
    observe: () => {
      const state: JsonObject = {};
      for (const [name, source] of mcp) state[name] = { connected: source.connection.connected, tools: source.actions.length };
      return { mcpServers: state };
    },
    close,
  };
}

/** A factory for the registry, so runs recorded against the config can be replayed and forked by name. */
export function configEnvironmentFactory(loaded: LoadedConfig, options: ConfigEnvironmentOptions = {}): EnvironmentFactory {
  const mcpCount = Object.keys(loaded.config.mcpServers ?? {}).length;
  return {
    name: loaded.config.name ?? DEFAULT_CONFIG_ENVIRONMENT,
    description: `Actions configured in ${loaded.file} (${mcpCount} MCP server${mcpCount === 1 ? '' : 's'})`,
    create: () => createConfigEnvironment(loaded, options),
  };
}
