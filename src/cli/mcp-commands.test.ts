import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../internal/test-support.js';
import { serverEntry } from '../mcp/real-servers.test-helper.js';
import { SqliteStore } from '../provenance/sqlite/sqlite-store.js';

const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const catalogServer = fileURLToPath(new URL('../../dist/mcp/fixtures/catalog-server.js', import.meta.url));
const workspace = useCliWorkspace('arbor-cli-mcp-', { requires: [catalogServer] });
const { arbor } = workspace;

describe('arbor actions import mcp / actions list', () => {
  it('starts the server, adds it to arbor.config.json and lists its actions with their source', () => {
    const imported = arbor(['actions', 'import', 'mcp', '--', process.execPath, serverEntry('server-memory')]);
    expect(imported.stderr).not.toMatch(/ARBOR_|warning/);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Created .*arbor\.config\.json: MCP server "memory" with 9 actions/);
    const config = JSON.parse(readFileSync(join(workspace.cwd, 'arbor.config.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
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
    const before = readFileSync(join(workspace.cwd, 'arbor.config.json'), 'utf8');
    const failed = arbor(['actions', 'import', 'mcp', '--name', 'ghost', '--', join(workspace.cwd, 'no-such-server')]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^ARBOR_MCP_CONNECTION: MCP server "ghost": could not connect: spawn .*ENOENT/m);
    expect(readFileSync(join(workspace.cwd, 'arbor.config.json'), 'utf8')).toBe(before);
  });

  it('derives the server name from the package it runs, and --no-check adds it without starting it', () => {
    const added = arbor(['actions', 'import', 'mcp', '--no-check', '--json', '--env', 'GITHUB_TOKEN=x', '--', 'npx', '-y', '@modelcontextprotocol/server-github@1.0.0']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'github', created: false, server: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github@1.0.0'], env: { GITHUB_TOKEN: 'x' } } });
    const duplicate = arbor(['actions', 'import', 'mcp', '--no-check', '--', 'npx', '-y', '@modelcontextprotocol/server-github']);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/ARBOR_USAGE: An MCP server named "github" is already configured .*--replace/);
  });

  it('arbor model falls back to the config file\'s model entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbor-cli-model-config-'));
    try {
      writeFileSync(join(dir, 'arbor.config.json'), JSON.stringify({ model: 'ollama:qwen2.5' }));
      const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
      delete env.ARBOR_MODEL;
      const result = spawnSync(process.execPath, [bin, 'model', '--json'], { cwd: dir, encoding: 'utf8', env });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toMatchObject({ provider: 'ollama', modelId: 'qwen2.5' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
      expect(tools.map((tool) => tool.name).sort()).toEqual(['describe_action', 'run_action', 'search_actions']);

      const searched = (await client.callTool({ name: 'search_actions', arguments: { query: 'refund: fetch one Stripe record', k: 3 } })) as CallToolResult;
      const results = (searched.structuredContent as { results: { name: string; source: string }[] }).results;
      expect(results[0]).toMatchObject({ name: 'catalog.stripe_get_record', source: 'mcp:catalog' });

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
      expect(await store.getRun(runId)).toMatchObject({ status: 'succeeded', environment: 'catalog', metadata: { via: 'serve-mcp' } });
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

describe('arbor serve-mcp --http', () => {
  it('serves over streamable HTTP until SIGTERM, then ends the session runs and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbor-cli-serve-http-'));
    const child = spawn(process.execPath, [bin, 'serve-mcp', '--http', '0', '-e', 'demo/orders', '--store', join(dir, 'arbor.db')], { cwd: dir, env: { ...process.env, CI: '1', NO_COLOR: '1' } });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out)?.[1];
          if (found !== undefined) resolve(found);
        });
        child.once('exit', (code) => reject(new Error(`serve-mcp exited with ${code}`)));
      });
      const client = new Client({ name: 'http-cli-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const ran = (await client.callTool({ name: 'run_action', arguments: { name: 'get_customer', args: { customerId: 'cus-7' } } })) as CallToolResult;
      expect(ran.isError).toBeFalsy();
      expect(JSON.stringify(ran.structuredContent)).toContain('Ada Park');
      const runId = (ran.structuredContent as { runId: string }).runId;
      await client.close();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const store = SqliteStore.open(join(dir, 'arbor.db'), { readonly: true });
      try {
        expect(await store.getRun(runId)).toMatchObject({ status: 'succeeded', environment: 'demo/orders' });
        expect((await store.listSteps(runId)).map((step) => [step.action, step.status])).toEqual([['get_customer', 'ok']]);
      } finally {
        await store.close();
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
