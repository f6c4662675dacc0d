import { ActionSpace, type AnyAction } from '../actions/index.js';
import type { Environment, EnvironmentFactory } from '../environments/index.js';
import { ArborError } from '../errors/index.js';
import type { JsonObject } from '../internal/json.js';
import type { McpToolSource } from '../mcp/index.js';
import { readOpenApiDocument } from './openapi-documents.js';
import { DEFAULT_CONFIG_ENVIRONMENT } from './schema.js';
import type { LoadedConfig } from './load-config.js';

export interface ConfigEnvironmentOptions {
  /** Told about tools left out and background refresh failures (default: ignored). */
  onWarning?: (warning: ArborError) => void;
  /** Receives MCP servers' stderr lines, prefixed by the server name (default: kept for error messages only). */
  onStderr?: (server: string, line: string) => void;
}

/** The environment a config describes: its MCP servers' tools and its OpenAPI documents' operations. */
export interface ConfigEnvironment extends Environment {
  /** The connected MCP servers, by name. */
  readonly mcp: ReadonlyMap<string, McpToolSource>;
}

/**
 * Builds the environment a loaded config describes: connects to every MCP server (in parallel), imports
 * every OpenAPI document, and puts it all in one action space. Closing it stops the servers it spawned.
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
  let imported: AnyAction[];
  try {
    imported = await importOpenApiEntries(loaded, options);
  } catch (error) {
    await close();
    throw error;
  }
  try {
    for (const source of mcp.values()) source.attach(actions);
    for (const action of imported) actions.add(action);
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

/** Imports every `openapi` entry with src/openapi's importer (loaded on demand, like the MCP SDK). */
async function importOpenApiEntries(loaded: LoadedConfig, options: ConfigEnvironmentOptions): Promise<AnyAction[]> {
  const entries = Object.entries(loaded.config.openapi ?? {});
  if (entries.length === 0) return [];
  const { importOpenApi } = await import('../openapi/index.js');
  const actions: AnyAction[] = [];
  for (const [name, entry] of entries) {
    const document = await readOpenApiDocument(entry.document, { name, dir: loaded.dir, file: loaded.file });
    const { document: _document, ...importOptions } = entry;
    const result = importOpenApi(document, { ...importOptions, name });
    actions.push(...result.actions);
    if (result.skipped.length > 0) {
      const listed = result.skipped.slice(0, 3).map((skip) => `${skip.method.toUpperCase()} ${skip.path} (${skip.reason})`).join('; ');
      options.onWarning?.(
        new ArborError('ARBOR_OPENAPI_SKIPPED', `OpenAPI document "${name}": ${result.skipped.length} operation(s) left out: ${listed}${result.skipped.length > 3 ? '; …' : ''}`, {
          hint: 'Operations skipped on purpose (operations.<id>.skip) are listed too.',
          data: { name, skipped: result.skipped },
        }),
      );
    }
  }
  return actions;
}

/** A factory for the registry, so runs recorded against the config can be replayed and forked by name. */
export function configEnvironmentFactory(loaded: LoadedConfig, options: ConfigEnvironmentOptions = {}): EnvironmentFactory {
  const mcpCount = Object.keys(loaded.config.mcpServers ?? {}).length;
  const openApiCount = Object.keys(loaded.config.openapi ?? {}).length;
  return {
    name: loaded.config.name ?? DEFAULT_CONFIG_ENVIRONMENT,
    description: `Actions configured in ${loaded.file} (${mcpCount} MCP server${mcpCount === 1 ? '' : 's'}, ${openApiCount} OpenAPI document${openApiCount === 1 ? '' : 's'})`,
    create: () => createConfigEnvironment(loaded, options),
  };
}
