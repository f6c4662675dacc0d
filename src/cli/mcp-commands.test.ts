import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverEntry } from '../mcp/real-servers.test-helper.js';
import { SqliteStore } from '../provenance/sqlite/sqlite-store.js';

const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const catalogServer = fileURLToPath(new URL('../../dist/mcp/fixtures/catalog-server.js', import.meta.url));
let cwd: string;

function arbor(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(bin) || !existsSync(catalogServer)) throw new Error('Build first (npm run build)');
  cwd = mkdtempSync(join(tmpdir(), 'arbor-cli-mcp-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('arbor actions import mcp / actions list', () => {
  it('starts the server, adds it to arbor.config.json and lists its actions with their source', () => {
    const imported = arbor(['actions', 'import', 'mcp', '--', process.execPath, serverEntry('server-memory')]);
    expect(imported.stderr).not.toMatch(/ARBOR_|warning/);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Created .*arbor\.config\.json: MCP server "memory" with 9 actions/);
    const config = JSON.parse(readFileSync(join(cwd, 'arbor.config.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    expect(config.mcpServers.memory).toEqual({ command: process.execPath, args: [serverEntry('server-memory')] });

    const listed = arbor(['actions', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/memory\.delete_entities\s+irreversible\s+1\s+mcp:memory/);
    expect(listed.stdout).toMatch(/memory\.read_graph\s+read\s+1\s+mcp:memory/);
    const json = JSON.parse(arbor(['actions', 'list', '--json', '--effect', 'write']).stdout) as { name: string; source: unknown }[];
    expect(json.map((action) => action.name).sort()).toEqual(['memory.add_observations', 'memory.create_entities', 'memory.create_relations']);
    expect(json[0]?.source).toEqual({ kind: 'mcp', name: 'memory' });
    // The built-in environments stay reachable by name.
    expect(arbor(['actions', 'list', '-e', 'demo/orders']).stdout).toContain('charge_payment');
  });

  it('refuses a server that does not start, and leaves the config untouched', () => {
    const before = readFileSync(join(cwd, 'arbor.config.json'), 'utf8');
    const failed = arbor(['actions', 'import', 'mcp', '--name', 'ghost', '--', join(cwd, 'no-such-server')]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^ARBOR_MCP_CONNECTION: MCP server "ghost": could not connect: spawn .*ENOENT/m);
    expect(readFileSync(join(cwd, 'arbor.config.json'), 'utf8')).toBe(before);
  });

  it('reports an invalid config with the file and the field, exit code 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbor-cli-badconfig-'));
    try {
      writeFileSync(join(dir, 'arbor.config.json'), JSON.stringify({ mcpServers: { x: { command: 'node', args: 'server.js' } } }));
      const result = spawnSync(process.execPath, [bin, 'actions', 'list'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: '1' } });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^ARBOR_CONFIG_INVALID: .*arbor\.config\.json: mcpServers\.x\.args: .*expected array/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('arbor serve-mcp over stdio, driven by the MCP SDK client', () => {
  it('serves the 1,280 actions of an MCP-backed config and records run_action calls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbor-cli-serve-'));
    writeFileSync(join(dir, 'arbor.config.json'), JSON.stringify({ name: 'catalog', mcpServers: { catalog: { command: process.execPath, args: [catalogServer] } } }));
    const client = new Client({ name: 'cli-test', version: '1.0.0' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [bin, 'serve-mcp', '--store', join(dir, 'arbor.db')], cwd: dir, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let runId = '';
    try {
      await client.connect(transport);
      expect(stderr).toContain('serving 1280 actions of "catalog" over stdio');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['describe_action', 'run_action']));
      expect(tools.length).toBeLessThanOrEqual(4);

      const ran = (await client.callTool({ name: 'run_action', arguments: { name: 'catalog.stripe_get_record', args: { id: 'ch_42' } } })) as CallToolResult;
      expect(ran.isError).toBeFalsy();
      expect(ran.structuredContent).toMatchObject({ status: 'ok', output: { structuredContent: { operation: 'stripe_get_record', args: { id: 'ch_42' } } } });
      runId = (ran.structuredContent as { runId: string }).runId;

      const refused = (await client.callTool({ name: 'run_action', arguments: { name: 'catalog.stripe_delete_record', args: { id: 'ch_42' } } })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('ARBOR_APPROVAL_REQUIRED');
    } finally {
      await client.close();
    }
    const store = SqliteStore.open(join(dir, 'arbor.db'), { readonly: true });
    try {
      expect(await store.getRun(runId)).toMatchObject({ environment: 'catalog', metadata: { via: 'serve-mcp' } });
      expect((await store.listSteps(runId)).map((step) => [step.action, step.effect, step.status])).toEqual([
        ['catalog.stripe_get_record', 'read', 'ok'],
        ['catalog.stripe_delete_record', 'irreversible', 'blocked'],
      ]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
