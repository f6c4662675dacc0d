import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionSpace } from '../actions/index.js';
import { Executor } from '../execution/index.js';
import { openStore, type Store } from '../provenance/index.js';
import { serverEntry } from './real-servers.test-helper.js';
import { McpToolSource } from './tool-source.js';

// One real @modelcontextprotocol/server-everything process (stdio) for the whole file.
let dir: string;
let store: Store;
let source: McpToolSource;
let space: ActionSpace;
let executor: Executor;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-mcp-everything-'));
  store = await openStore({ location: join(dir, 'arbor.db') });
  source = await McpToolSource.connect('everything', { command: process.execPath, args: [serverEntry('server-everything'), 'stdio'] });
  space = new ActionSpace();
  source.attach(space);
  executor = new Executor({ store, actions: space });
});

afterAll(async () => {
  await source?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('MCP tools of server-everything as actions', () => {
  it('lists the tools as actions named <server>.<tool>, sourced and grouped by server', () => {
    const echo = space.get('everything.echo');
    expect(echo.source).toEqual({ kind: 'mcp', name: 'everything' });
    expect(echo.group).toBe('everything');
    expect(space.list({ sourceKind: 'mcp' }).length).toBe(source.tools.length);
    expect(source.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation']));
  });

  it('maps readOnlyHint to read and keeps idempotentHint', () => {
    const sum = space.get('everything.get-sum');
    expect(sum.effect).toBe('read');
    expect(sum.idempotent).toBe(true);
  });

  it('shows the tool JSON Schema in describe()', () => {
    const schema = space.describe('everything.get-sum').inputSchema as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(['a', 'b']);
    expect(schema.required).toEqual(['a', 'b']);
  });

  it('calls a tool through the executor and records the step', async () => {
    const run = await executor.startRun({ task: 'add numbers' });
    const result = await run.execute('everything.get-sum', { a: 2, b: 40 });
    expect(result.ok).toBe(true);
    expect(JSON.stringify(result.output)).toContain('42');
    const [step] = await store.listSteps(run.id);
    expect(step).toMatchObject({ action: 'everything.get-sum', effect: 'read', status: 'ok', input: { a: 2, b: 40 } });
    expect(step?.outputHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects input that breaks the tool schema before calling the server, as a recorded failed step', async () => {
    const run = await executor.startRun();
    const result = await run.execute('everything.get-sum', { a: 'two', b: 40 });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('ARBOR_INVALID_INPUT');
    expect(result.error?.message).toContain('a');
    expect((await store.listSteps(run.id))[0]?.status).toBe('failed');
  });

  it('fails a call whose server is killed mid-call with a typed error, then reconnects on the next call', async () => {
    const run = await executor.startRun({ task: 'survive a crash' });
    const firstPid = source.connection.pid;
    expect(firstPid).toBeTypeOf('number');
    const pending = run.execute('everything.trigger-long-running-operation', { duration: 5, steps: 5 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(firstPid as number, 'SIGKILL');
    const crashed = await pending;
    expect(crashed.status).toBe('failed');
    expect(crashed.error?.code).toBe('ARBOR_MCP_CONNECTION');
    expect(crashed.error?.message).toMatch(/closed while calling tool "trigger-long-running-operation"/);

    const next = await run.execute('everything.echo', { message: 'back again' });
    expect(next.ok).toBe(true);
    expect(JSON.stringify(next.output)).toContain('back again');
    expect(source.connection.pid).not.toBe(firstPid);
    expect(source.connection.connectionCount).toBe(2);

    const steps = await store.listSteps(run.id);
    expect(steps.map((step) => [step.action, step.status, step.error?.code ?? null])).toEqual([
      ['everything.trigger-long-running-operation', 'failed', 'ARBOR_MCP_CONNECTION'],
      ['everything.echo', 'ok', null],
    ]);
  });

  it('times out a call to a hanging server as a recorded failed step and keeps the connection usable', async () => {
    const run = await executor.startRun({ task: 'survive a hang' });
    const pid = source.connection.pid as number;
    process.kill(pid, 'SIGSTOP');
    let hung;
    try {
      hung = await run.execute('everything.echo', { message: 'anyone there?' }, { timeoutMs: 400 });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(hung.status).toBe('failed');
    expect(hung.error?.code).toBe('ARBOR_ACTION_TIMEOUT');
    const next = await run.execute('everything.echo', { message: 'awake' });
    expect(next.ok).toBe(true);
    expect((await store.listSteps(run.id)).map((step) => step.status)).toEqual(['failed', 'ok']);
  });
});
