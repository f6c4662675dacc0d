import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { createTempStore } from '../internal/temp-store.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { catalogOperations } from './fixtures/catalog.js';
import type { McpHttpHost } from './http-host.js';
import { serveActionsOverHttp } from './serve.js';

let store: SqliteStore;
let cleanup: () => Promise<void>;
let host: McpHttpHost;
let space: ActionSpace;
const deleted: string[] = [];

beforeAll(async () => {
  ({ store, cleanup } = createTempStore('arbor-serve-mcp-'));
  space = new ActionSpace(
    catalogOperations().map((operation) =>
      defineAction({
        name: operation.name,
        description: operation.description,
        input: z.object({ id: z.string() }),
        effect: operation.verb === 'delete' ? 'irreversible' : ['get', 'list', 'search', 'export'].includes(operation.verb) ? 'read' : 'write',
        group: operation.service,
        run: ({ id }) => {
          if (operation.verb === 'delete') deleted.push(`${operation.name}:${id}`);
          return { operation: operation.name, id };
        },
      }),
    ),
  );
  host = await serveActionsOverHttp({ actions: space, store, environment: { name: 'catalog' } });
});

afterAll(async () => {
  await host?.close();
  await cleanup();
});

async function connect(capabilities: ConstructorParameters<typeof Client>[1] = {}): Promise<Client> {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, capabilities);
  await client.connect(new StreamableHTTPClientTransport(new URL(host.url)));
  return client;
}

function structured(result: unknown): Record<string, unknown> {
  return (result as CallToolResult).structuredContent as Record<string, unknown>;
}

describe('an action space served over streamable HTTP', () => {
  it('offers meta-tools instead of its 1,280 actions', async () => {
    const client = await connect();
    try {
      expect(space.size).toBe(1280);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['describe_action', 'run_action', 'search_actions']);
    } finally {
      await client.close();
    }
  });

  it('finds the right action among 1,280 with the retrieval ToolIndex', async () => {
    const client = await connect();
    try {
      const search = async (query: string, k?: number) =>
        structured(await client.callTool({ name: 'search_actions', arguments: { query, ...(k === undefined ? {} : { k }) } })) as { results: { name: string; effect: string; source: string }[]; notes?: string[] };
      const found = await search('permanently delete a webhook in Stripe', 5);
      expect(found.results).toHaveLength(5);
      expect(found.results[0]).toMatchObject({ name: 'stripe_delete_webhook', effect: 'irreversible', source: 'typescript' });
      expect((await search('export every Zendesk comment to CSV')).results[0]?.name).toBe('zendesk_export_comment');
      expect((await search('archive a Trello attachment')).results[0]?.name).toBe('trello_archive_attachment');
      expect((await search('xyzzy plugh')).results).toEqual([]);
      const tooMany = (await client.callTool({ name: 'search_actions', arguments: { query: 'stripe', k: 500 } })) as CallToolResult;
      expect(tooMany.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('describes an action with its effect and JSON Schema, and names close matches for a wrong name', async () => {
    const client = await connect();
    try {
      const described = structured(await client.callTool({ name: 'describe_action', arguments: { name: 'stripe_delete_record' } }));
      expect(described).toMatchObject({ name: 'stripe_delete_record', effect: 'irreversible', inputSchema: { properties: { id: { type: 'string' } } } });
      const wrong = (await client.callTool({ name: 'describe_action', arguments: { name: 'stripe_delete_recrod' } })) as CallToolResult;
      expect(wrong.isError).toBe(true);
      expect(JSON.stringify(wrong.content)).toContain('stripe_delete_record');
    } finally {
      await client.close();
    }
  });

  it('runs actions as recorded steps of one run per session, refusing invalid arguments and unapproved irreversible ones', async () => {
    const client = await connect();
    let runId = '';
    try {
      const ok = structured(await client.callTool({ name: 'run_action', arguments: { name: 'github_get_user', args: { id: 'octocat' } } }));
      expect(ok).toMatchObject({ status: 'ok', output: { operation: 'github_get_user', id: 'octocat' } });
      runId = ok.runId as string;

      const invalid = (await client.callTool({ name: 'run_action', arguments: { name: 'github_get_user', args: { id: 7 } } })) as CallToolResult;
      expect(invalid.isError).toBe(true);
      expect(structured(invalid)).toMatchObject({ status: 'failed', runId, error: { code: 'ARBOR_INVALID_INPUT' } });

      const refused = (await client.callTool({ name: 'run_action', arguments: { name: 'stripe_delete_record', args: { id: 'cus_1' } } })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toMatch(/ARBOR_APPROVAL_REQUIRED.*restart it with --yes, or use a client that supports elicitation/);
      expect(deleted).toEqual([]);
      expect((await store.getRun(runId))?.status).toBe('running');
      // Ending the session (HTTP DELETE) ends its run.
      await (client.transport as StreamableHTTPClientTransport).terminateSession();
    } finally {
      await client.close();
    }
    await expect.poll(async () => (await store.getRun(runId))?.status).toBe('succeeded');
    const run = await store.getRun(runId);
    expect(run).toMatchObject({ environment: 'catalog', metadata: { via: 'serve-mcp', client: { name: 'test-client' } } });
    expect((await store.listSteps(runId)).map((step) => [step.action, step.effect, step.status])).toEqual([
      ['github_get_user', 'read', 'ok'],
      ['github_get_user', 'read', 'failed'],
      ['stripe_delete_record', 'irreversible', 'blocked'],
    ]);
  });

  it('asks the person through MCP elicitation before an irreversible action, and records the answer', async () => {
    const answers = ['decline', 'accept'] as const;
    const client = new Client({ name: 'asking-client', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      const action = answers[asked.length - 1] ?? 'cancel';
      return action === 'accept' ? { action, content: { approve: true } } : { action };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(host.url)));
    let runId = '';
    try {
      const declined = (await client.callTool({ name: 'run_action', arguments: { name: 'slack_delete_user', args: { id: 'u1' } } })) as CallToolResult;
      expect(declined.isError).toBe(true);
      runId = structured(declined).runId as string;
      const approved = structured(await client.callTool({ name: 'run_action', arguments: { name: 'slack_delete_user', args: { id: 'u1' } } }));
      expect(approved).toMatchObject({ status: 'ok' });
    } finally {
      await client.close();
    }
    expect(asked[0]).toContain('slack_delete_user');
    expect(deleted).toEqual(['slack_delete_user:u1']);
    const steps = await store.listSteps(runId);
    expect(steps.map((step) => [step.status, step.metadata.approval])).toEqual([
      ['blocked', { approved: false, by: 'mcp-elicitation', reason: 'the user answered "decline"' }],
      ['ok', { approved: true, by: 'mcp-elicitation' }],
    ]);
  });
});

describe('plan(task) on an environment with tasks', () => {
  it('searches for a plan with the given policy, executes it as a recorded run, and reports it', async () => {
    const { defaultEnvironments } = await import('../environments/index.js');
    const { createSimulatedPolicy } = await import('../policies/simulated/index.js');
    const registry = defaultEnvironments();
    const environment = await registry.create('fsm/saas-admin');
    const served = await serveActionsOverHttp({
      actions: environment.actions,
      store,
      approval: 'all',
      environment: { name: environment.name, observe: () => environment.observe() },
      planning: { environment, createEnvironment: () => registry.create('fsm/saas-admin'), policy: createSimulatedPolicy({ tasks: environment.tasks ?? [], accuracy: 1, valueNoise: 0 }) },
    });
    const client = new Client({ name: 'planner-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(served.url)));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['describe_action', 'plan', 'run_action', 'search_actions']);
      const planned = (await client.callTool({ name: 'plan', arguments: { task: 'onboard-ana-1' } })) as CallToolResult;
      const result = planned.structuredContent as { status: string; runId: string; plan: { action: string; status: string }[] };
      expect(result.status).toBe('succeeded');
      expect(result.plan.length).toBeGreaterThan(0);
      const steps = await store.listSteps(result.runId);
      expect(steps.filter((step) => step.status === 'ok').map((step) => step.action)).toEqual(expect.arrayContaining(result.plan.map((step) => step.action)));
      const unknown = (await client.callTool({ name: 'plan', arguments: { task: 'no-such-task' } })) as CallToolResult;
      expect(unknown.isError).toBe(true);
      expect((unknown.content[0] as { text: string }).text).toMatch(/^ARBOR_USAGE: Environment "fsm\/saas-admin" has no task "no-such-task"/);
    } finally {
      await client.close();
      await served.close();
      await environment.close?.();
    }
  });
});
