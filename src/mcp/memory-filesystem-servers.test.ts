import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionSpace } from '../actions/index.js';
import { approveAll, Executor } from '../execution/index.js';
import { openStore, type Store } from '../provenance/index.js';
import { serverEntry } from './real-servers.test-helper.js';
import { McpToolSource } from './tool-source.js';

let dir: string;
let files: string;
let store: Store;
let memory: McpToolSource;
let filesystem: McpToolSource;
let space: ActionSpace;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-mcp-servers-'));
  files = mkdtempSync(join(tmpdir(), 'arbor-mcp-files-'));
  writeFileSync(join(files, 'notes.txt'), 'first line\nsecond line\n');
  store = await openStore({ location: join(dir, 'arbor.db') });
  space = new ActionSpace();
  [memory, filesystem] = await Promise.all([
    McpToolSource.connect('memory', {
      command: process.execPath,
      args: [serverEntry('server-memory')],
      env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
      // A per-server override: this deployment treats adding observations as irreversible.
      tools: { add_observations: { effect: 'irreversible', tags: ['audited'] } },
    }),
    McpToolSource.connect('fs', { command: process.execPath, args: [serverEntry('server-filesystem'), files] }),
  ]);
  memory.attach(space);
  filesystem.attach(space);
});

afterAll(async () => {
  await Promise.all([memory?.close(), filesystem?.close()]);
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
});

describe('server-memory through Arbor', () => {
  it('classifies its tools by annotations, with config overrides winning', () => {
    expect(space.get('memory.read_graph').effect).toBe('read');
    expect(space.get('memory.create_entities').effect).toBe('write');
    expect(space.get('memory.create_entities').idempotent).toBe(false);
    expect(space.get('memory.delete_entities').effect).toBe('irreversible');
    expect(space.get('memory.delete_entities').idempotent).toBe(true);
    expect(space.get('memory.add_observations').effect).toBe('irreversible');
    expect(space.get('memory.add_observations').tags).toContain('audited');
  });

  it('records every call, and blocks a destructive tool until it is approved', async () => {
    const executor = new Executor({ store, actions: space });
    const run = await executor.startRun({ task: 'remember Ada', stopOnBlocked: false });
    const created = await run.execute('memory.create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }] });
    expect(created.ok).toBe(true);
    const graph = await run.execute('memory.read_graph', {});
    expect(JSON.stringify(graph.output)).toContain('wrote the first program');
    const blocked = await run.execute('memory.delete_entities', { entityNames: ['Ada'] });
    expect(blocked.status).toBe('blocked');
    expect(blocked.error?.code).toBe('ARBOR_APPROVAL_REQUIRED');
    expect(JSON.stringify((await run.execute('memory.read_graph', {})).output)).toContain('Ada');

    const approved = await new Executor({ store, actions: space, approval: approveAll }).startRun({ task: 'forget Ada' });
    expect((await approved.execute('memory.delete_entities', { entityNames: ['Ada'] })).ok).toBe(true);
    expect(JSON.stringify((await approved.execute('memory.read_graph', {})).output)).not.toContain('Ada');

    const steps = await store.listSteps(run.id);
    expect(steps.map((step) => [step.action, step.effect, step.status])).toEqual([
      ['memory.create_entities', 'write', 'ok'],
      ['memory.read_graph', 'read', 'ok'],
      ['memory.delete_entities', 'irreversible', 'blocked'],
      ['memory.read_graph', 'read', 'ok'],
    ]);
    expect((await store.listSteps(approved.id)).map((step) => step.metadata.approval)).toEqual([{ approved: true, by: 'pre-approved' }, undefined]);
  });
});

describe('server-filesystem on a temporary directory through Arbor', () => {
  it('classifies read, write and destructive file tools', () => {
    expect(space.get('fs.read_text_file').effect).toBe('read');
    expect(space.get('fs.list_directory').effect).toBe('read');
    expect(space.get('fs.create_directory').effect).toBe('write');
    expect(space.get('fs.create_directory').idempotent).toBe(true);
    expect(space.get('fs.write_file').effect).toBe('irreversible');
    expect(space.get('fs.move_file').effect).toBe('irreversible');
  });

  it('reads, creates and writes files as recorded steps', async () => {
    const executor = new Executor({ store, actions: space, approval: approveAll });
    const run = await executor.startRun({ task: 'file work' });
    const read = await run.execute('fs.read_text_file', { path: join(files, 'notes.txt') });
    expect(read.output).toMatchObject({ structuredContent: { content: 'first line\nsecond line\n' } });
    expect((await run.execute('fs.create_directory', { path: join(files, 'out') })).ok).toBe(true);
    expect((await run.execute('fs.write_file', { path: join(files, 'out', 'a.txt'), content: 'hello' })).ok).toBe(true);
    expect(readFileSync(join(files, 'out', 'a.txt'), 'utf8')).toBe('hello');
    const listed = await run.execute('fs.list_directory', { path: files });
    expect(JSON.stringify(listed.output)).toContain('[DIR] out');
    const steps = await store.listSteps(run.id);
    expect(steps.map((step) => [step.action, step.effect, step.status])).toEqual([
      ['fs.read_text_file', 'read', 'ok'],
      ['fs.create_directory', 'write', 'ok'],
      ['fs.write_file', 'irreversible', 'ok'],
      ['fs.list_directory', 'read', 'ok'],
    ]);
  });

  it('turns an isError result into a failed step with McpToolError', async () => {
    const executor = new Executor({ store, actions: space });
    const run = await executor.startRun({ task: 'read outside' });
    const outside = join(dir, 'memory.jsonl');
    const result = await run.execute('fs.read_text_file', { path: outside });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('ARBOR_MCP_TOOL_ERROR');
    expect(result.error?.message).toMatch(/Access denied|outside allowed directories/i);
    expect(result.error?.data).toMatchObject({ server: 'fs', tool: 'read_text_file' });
    const [step] = await store.listSteps(run.id);
    expect(step).toMatchObject({ status: 'failed', error: { code: 'ARBOR_MCP_TOOL_ERROR' } });
  });
});
