import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, type ActionSpaceEvent } from '../actions/index.js';
import { Executor } from '../execution/index.js';
import { openStore, type Store } from '../provenance/index.js';
import { hostMcpOverHttp, type McpHttpHost } from './http-host.js';
import { McpToolSource } from './tool-source.js';

let store: Store;
beforeAll(async () => {
  store = await openStore({ location: ':memory:' });
});
afterAll(async () => {
  await store?.close();
});

describe('a server whose tool list changes (SDK McpServer on loopback HTTP)', () => {
  let host: McpHttpHost;
  const servers: McpServer[] = [];
  let version = 1;

  beforeAll(async () => {
    host = await hostMcpOverHttp({
      createServer: () => {
        const server = new McpServer({ name: 'changing', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
        server.registerTool('stable', { description: 'Always there', inputSchema: { n: z.number() }, annotations: { readOnlyHint: true } }, ({ n }) => ({
          content: [{ type: 'text', text: `stable ${n} v${version}` }],
        }));
        servers.push(server);
        return server;
      },
    });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('adds, replaces and removes actions when the server sends tools/list_changed', async () => {
    const source = await McpToolSource.connect('changing', { url: host.url });
    const space = new ActionSpace();
    const events: string[] = [];
    space.subscribe((event: ActionSpaceEvent) => events.push(`${event.type} ${event.action.name}`));
    source.attach(space);
    const server = servers.at(-1) as McpServer;
    const next = () => new Promise<unknown>((resolve) => source.onChange(resolve));
    try {
      expect(space.names()).toEqual(['changing.stable']);
      let changed = next();
      const added = server.registerTool('wipe', { description: 'Deletes everything', inputSchema: { really: z.boolean() }, annotations: { destructiveHint: true } }, () => ({ content: [{ type: 'text', text: 'wiped' }] }));
      expect(await changed).toEqual({ added: ['changing.wipe'], removed: [], changed: [] });
      expect(space.get('changing.wipe').effect).toBe('irreversible');

      changed = next();
      added.update({ description: 'Deletes everything, for good' });
      expect(await changed).toEqual({ added: [], removed: [], changed: ['changing.wipe'] });
      expect(space.get('changing.wipe').description).toBe('Deletes everything, for good');

      changed = next();
      added.remove();
      expect(await changed).toEqual({ added: [], removed: ['changing.wipe'], changed: [] });
      expect(space.has('changing.wipe')).toBe(false);
      expect(events).toEqual(['added changing.stable', 'added changing.wipe', 'removed changing.wipe', 'added changing.wipe', 'removed changing.wipe']);

      const run = await new Executor({ store, actions: space }).startRun();
      version = 2;
      expect(JSON.stringify(await run.call('changing.stable', { n: 7 }))).toContain('stable 7 v2');
    } finally {
      await source.close();
    }
    expect(space.size).toBe(0);
  });
});

describe('a server that paginates tools/list', () => {
  it('follows nextCursor until every tool is listed', async () => {
    const total = 230;
    const pageSize = 100;
    const host = await hostMcpOverHttp({
      createServer: () => {
        const server = new Server({ name: 'paged', version: '1.0.0' }, { capabilities: { tools: {} } });
        server.setRequestHandler(ListToolsRequestSchema, (request) => {
          const start = Number(request.params?.cursor ?? 0);
          const tools = Array.from({ length: Math.min(pageSize, total - start) }, (_, index) => ({
            name: `tool_${start + index}`,
            description: `Tool number ${start + index}`,
            inputSchema: { type: 'object' as const, properties: { x: { type: 'integer' } }, required: ['x'] },
          }));
          return { tools, ...(start + pageSize < total ? { nextCursor: String(start + pageSize) } : {}) };
        });
        server.setRequestHandler(CallToolRequestSchema, (request) => ({ content: [{ type: 'text', text: `${request.params.name}(${JSON.stringify(request.params.arguments)})` }] }));
        return server;
      },
    });
    const source = await McpToolSource.connect('paged', { url: host.url, prefix: '' });
    try {
      expect(source.actions).toHaveLength(total);
      const space = new ActionSpace();
      source.attach(space);
      expect(space.get('tool_229').effect).toBe('write');
      const run = await new Executor({ store, actions: space }).startRun();
      expect(await run.call('tool_150', { x: 3 })).toEqual({ content: [{ type: 'text', text: 'tool_150({"x":3})' }] });
      expect((await run.execute('tool_150', { x: 1.5 })).error?.code).toBe('ARBOR_INVALID_INPUT');
    } finally {
      await source.close();
      await host.close();
    }
  });
});

describe('a streamable HTTP server that forgets a session', () => {
  it('starts a new session transparently when the server answers 404 for the old one', async () => {
    const host = await hostMcpOverHttp({
      sessionIdleTimeoutMs: 300,
      createServer: () => {
        const server = new McpServer({ name: 'forgetful', version: '1.0.0' });
        server.registerTool('ping', { description: 'Answers pong', inputSchema: {} }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
        return server;
      },
    });
    const source = await McpToolSource.connect('forgetful', { url: host.url });
    try {
      const space = new ActionSpace();
      source.attach(space);
      const run = await new Executor({ store, actions: space }).startRun();
      expect((await run.execute('forgetful.ping', {})).ok).toBe(true);
      await expect.poll(() => host.sessions, { interval: 50 }).toBe(0);
      const again = await run.execute('forgetful.ping', {});
      expect(again.error).toBeNull();
      expect(source.connection.connectionCount).toBeGreaterThanOrEqual(2);
      expect((await store.listSteps(run.id)).map((step) => step.status)).toEqual(['ok', 'ok']);
    } finally {
      await source.close();
      await host.close();
    }
  });
});
