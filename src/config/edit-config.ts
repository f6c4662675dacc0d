import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors/index.js';
import type { McpServerConfig } from '../mcp/server-config.js';
import { findConfigFile, parseConfig } from './load-config.js';

export interface AddMcpServerOptions {
  /** Directory whose config to edit (created as arbor.config.json when there is none). Default: process.cwd(). */
  cwd?: string;
  /** An explicit config file. */
  file?: string;
  name: string;
  server: McpServerConfig;
  /** Replace a server of the same name. Default false. */
  replace?: boolean;
}

/**
 * Adds an MCP server to arbor.config.json, creating the file if needed. The result is validated before it
 * is written, and written atomically, so a bad entry never leaves a broken file. TypeScript configs are
 * code and are not rewritten: the error carries the entry to paste.
 */
export function addMcpServerToConfig(options: AddMcpServerOptions): { file: string; created: boolean } {
  const cwd = options.cwd ?? process.cwd();
  const file = options.file === undefined ? (findConfigFile(cwd) ?? resolve(cwd, 'arbor.config.json')) : resolve(cwd, options.file);
  const snippet = JSON.stringify({ [options.name]: options.server }, null, 2);
  if (!file.endsWith('.json')) {
    throw new UsageError(`${basename(file)} is code and is not rewritten automatically`, `Add this under "mcpServers" in ${basename(file)}: ${snippet}`, { file, entry: options.server });
  }
  let existing: Record<string, unknown> = {};
  let created = true;
  try {
    existing = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    created = false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(file, [{ path: [], message: `cannot be read as JSON: ${error instanceof Error ? error.message : String(error)}` }], { cause: error });
    }
  }
  if (typeof existing !== 'object' || existing === null || Array.isArray(existing)) {
    throw new ConfigError(file, [{ path: [], message: 'must be a JSON object' }]);
  }
  const servers = (existing.mcpServers ?? {}) as Record<string, unknown>;
  if (options.name in servers && options.replace !== true) {
    throw new UsageError(`An MCP server named "${options.name}" is already configured in ${basename(file)}`, 'Choose another --name, or pass --replace.', { name: options.name, file });
  }
  const next = { ...existing, mcpServers: { ...servers, [options.name]: options.server } };
  parseConfig(next, file);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
  renameSync(temporary, file);
  return { file, created };
}
