import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { addMcpServerToConfig } from '../../config/index.js';
import { UsageError } from '../../errors/index.js';
import type { McpServerConfig } from '../../mcp/index.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../format.js';

interface ImportMcpOptions {
  name?: string;
  url?: string;
  header?: string[];
  env?: string[];
  replace?: boolean;
  check: boolean;
}

export function registerActionsImportCommand(actions: Command, cli: CliContext): void {
  const importCommand = actions.command('import').description('Add a source of actions to arbor.config.json');
  importCommand
    .command('mcp')
    .description('Add an MCP server: `arbor actions import mcp -- <command...>` (stdio) or `--url <url>` (streamable HTTP)')
    .argument('[command...]', 'the command that starts the server, after --')
    .option('-n, --name <name>', 'server name, which prefixes its action names (default: derived from the command)')
    .option('--url <url>', 'a streamable HTTP endpoint instead of a command')
    .option('--header <header...>', 'HTTP header "Name: value" to send (with --url)')
    .option('--env <pair...>', 'environment variable NAME=value for the server process')
    .option('--replace', 'replace a server of the same name')
    .option('--no-check', 'do not start the server to check it before adding it')
    .addHelpText('after', '\nExamples:\n  arbor actions import mcp --name memory -- node node_modules/@modelcontextprotocol/server-memory/dist/index.js\n  arbor actions import mcp --name docs --url https://example.com/mcp --header "Authorization: Bearer $TOKEN"')
    .action(async (command: string[], options: ImportMcpOptions) => {
      const server = serverFromArguments(command, options);
      // The file --config (or ARBOR_CONFIG) names, already loaded and checked before this command ran.
      const configFile = cli.loadedConfig?.file;
      const name = options.name ?? deriveName(command, options.url);
      if (options.check) {
        const { McpToolSource } = await import('../../mcp/tool-source.js');
        // Start it once: a server that cannot start or list its tools should not land in the config.
        const source = await cli.progress(`Connecting to MCP server "${name}"`, () => McpToolSource.connect(name, server, { baseDir: process.cwd() }));
        const tools = source.actions;
        const skipped = source.skipped;
        await source.close();
        const { file, created } = addMcpServerToConfig({ name, server, ...(configFile === undefined ? {} : { file: configFile }), ...(options.replace ? { replace: true } : {}) });
        if (cli.options.json) return cli.json({ name, file, created, server, actions: tools.map((action) => ({ name: action.name, effect: action.effect })), skipped: skipped.map((warning) => warning.toJSON()) });
        cli.out(`${created ? 'Created' : 'Updated'} ${file}: MCP server "${name}" with ${tools.length} action${tools.length === 1 ? '' : 's'}.`);
        cli.out(renderTable(tools, [{ header: 'ACTION', value: (action) => action.name }, { header: 'EFFECT', value: (action) => action.effect }, { header: 'DESCRIPTION', value: (action) => action.description, max: 60 }], cli.format));
        for (const warning of skipped) cli.err(`warning: ${warning.code}: ${warning.message}`);
        cli.out(`Next: "arbor actions list" shows them; effects come from the tools' annotations and can be overridden under mcpServers.${name}.tools.`);
        return;
      }
      const { file, created } = addMcpServerToConfig({ name, server, ...(configFile === undefined ? {} : { file: configFile }), ...(options.replace ? { replace: true } : {}) });
      if (cli.options.json) return cli.json({ name, file, created, server });
      cli.out(`${created ? 'Created' : 'Updated'} ${file}: MCP server "${name}" (not started; run "arbor actions list" to check it).`);
    });
}

function serverFromArguments(command: string[], options: ImportMcpOptions): McpServerConfig {
  if (options.url !== undefined) {
    if (command.length > 0) throw new UsageError('Give either --url or a command after --, not both');
    const headers = Object.fromEntries((options.header ?? []).map((header) => splitPair(header, ':', '--header')));
    return { url: options.url, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
  }
  const [executable, ...args] = command;
  if (executable === undefined) {
    throw new UsageError('No server to import', 'Put the command that starts it after --, e.g. "arbor actions import mcp -- node server.js", or pass --url.');
  }
  const env = Object.fromEntries((options.env ?? []).map((pair) => splitPair(pair, '=', '--env')));
  return { command: executable, ...(args.length > 0 ? { args } : {}), ...(Object.keys(env).length > 0 ? { env } : {}) };
}

function splitPair(text: string, separator: string, flag: string): [string, string] {
  const at = text.indexOf(separator);
  if (at <= 0) throw new UsageError(`${flag} "${text}" is not of the form NAME${separator}value`);
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
}

/** A server name from the command: the npm package it runs (`@scope/server-memory` → memory), else the script or host. */
function deriveName(command: string[], url: string | undefined): string {
  let candidate: string | undefined;
  if (url !== undefined) {
    candidate = new URL(url).hostname.split('.').find((part) => part !== 'www' && part !== 'mcp') ?? 'remote';
  } else {
    for (const arg of command) {
      const fromModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(arg)?.[1];
      const fromPackage = /^(@[^/\s]+\/[^@\s]+|[a-z0-9][a-z0-9._-]*-mcp[a-z0-9._-]*|mcp-[a-z0-9._-]+|server-[a-z0-9._-]+)(@.*)?$/i.exec(arg)?.[1];
      candidate = fromModules ?? fromPackage;
      if (candidate !== undefined) break;
    }
    candidate ??= basename(command.find((arg) => !arg.startsWith('-') && arg !== command[0]) ?? command[0] ?? 'server', extname(command[1] ?? ''));
  }
  const bare = candidate.replace(/^@[^/]+\//, '').replace(/^(mcp-server-|server-|mcp-)/, '').replace(/(-mcp-server|-mcp|-server)$/, '');
  const sanitized = bare.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9_]+/, '');
  return sanitized.length > 0 ? sanitized : 'server';
}
