import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ActionSpace } from '../actions/index.js';
import { approveAll, Executor, type ApprovalPolicy, type Guard, type Run } from '../execution/index.js';
import { ArborError } from '../errors/index.js';
import type { JsonObject } from '../internal/json.js';
import type { Environment } from '../environments/index.js';
import { createPlanner, plan, STRATEGY_NAMES, type Budget, type Policy } from '../planning/index.js';
import type { Store } from '../provenance/index.js';
import { ToolIndex } from '../retrieval/index.js';
import { VERSION } from '../version.js';

/**
 * What `search_actions` needs from an index: the retrieval `ToolIndex` is one (lexical BM25F, or hybrid
 * with an embedding model). Results are ranked best first; `notes` tell the client what to know (for
 * example that retrieval is lexical only).
 */
export interface ActionSearchIndex {
  search(query: string, options: { k: number; signal?: AbortSignal }): Promise<{ hits: readonly { name: string; score: number }[]; notes?: readonly string[] }>;
}

/** How irreversible calls made through `run_action` get approved. */
export type ServeApproval =
  /** Every irreversible call is approved in advance (`arbor serve-mcp --yes`). */
  | 'all'
  /** Ask the person through the client (MCP elicitation) when it supports it; refuse otherwise. The default. */
  | 'elicit'
  /** Refuse every irreversible call. */
  | 'none';

export interface ArborMcpServerOptions {
  actions: ActionSpace;
  /** Where `run_action` calls are recorded: one run per client session. */
  store: Store;
  /**
   * The index `search_actions` ranks with. Default: a new lexical `ToolIndex` over `actions` for this
   * server; pass one to share it between sessions (the serve functions do) or to add an embedding model.
   */
  index?: ActionSearchIndex;
  /** Recorded with the session's run so it can be replayed by name. */
  environment?: { name: string; observe?: () => unknown };
  approval?: ServeApproval;
  /**
   * Offers `plan(task, strategy?)`: a search for a plan to one of the environment's tasks, recorded as its
   * own run. Only for environments with tasks (a goal check); the policy is the caller's (an LLM policy,
   * or the labelled simulated one).
   */
  planning?: {
    environment: Environment;
    /** Fresh copies, for rebuilding states when the environment has no snapshot/restore. */
    createEnvironment?: () => Environment | Promise<Environment>;
    policy: Policy;
    /** Default `best-first`. */
    defaultStrategy?: string;
    /** Default: 200 node expansions. */
    budget?: Budget;
  };
  /** Largest `k` a client may ask `search_actions` for. Default 50. */
  maxResults?: number;
  /** Server name shown to clients. Default "arbor". */
  name?: string;
  /** Guards applied to every run_action call (stage machine, argument masks, policy rules from arbor.config). */
  guards?: readonly Guard[];
}

const EFFECT_NOTE = 'Effects: read (no side effect), write (changes state), irreversible (cannot be undone; needs approval).';

/**
 * An MCP server exposing a whole action space through four meta-tools instead of one tool per action,
 * so a client with a small context reaches thousands of actions: search, describe, run (recorded), and
 * plan once a planner is wired. Build one per client session (the SDK binds a server to one transport).
 */
export function createArborMcpServer(options: ArborMcpServerOptions): ArborMcpServer {
  const server = new McpServer({ name: options.name ?? 'arbor', version: VERSION }, { capabilities: { tools: {} } });
  const maxResults = options.maxResults ?? 50;
  const { actions } = options;
  const ownIndex = options.index === undefined ? new ToolIndex({ actions }) : undefined;
  const index: ActionSearchIndex = options.index ?? (ownIndex as ToolIndex);
  let run: Promise<Run> | undefined;

  const approval: ApprovalPolicy =
    options.approval === 'all'
      ? approveAll
      : async (request) => {
          const reason = `"${request.action}" is irreversible and this server was started without pre-approval`;
          if (options.approval === 'none' || server.server.getClientCapabilities()?.elicitation === undefined) {
            return { approved: false, by: 'serve-mcp', reason: `${reason}; restart it with --yes, or use a client that supports elicitation to approve each call` };
          }
          const answer = await server.server.elicitInput({
            message: `Approve the irreversible action "${request.action}" (${request.description}) with ${JSON.stringify(request.input)}?`,
            requestedSchema: { type: 'object', properties: { approve: { type: 'boolean', title: 'Approve', description: 'Run this irreversible action now' } }, required: ['approve'] },
          });
          const approved = answer.action === 'accept' && answer.content?.approve === true;
          return { approved, by: 'mcp-elicitation', ...(approved ? {} : { reason: `the user answered "${answer.action}"${answer.action === 'accept' ? ' without approving' : ''}` }) };
        };

  const sessionRun = (): Promise<Run> => {
    run ??= (async () => {
      const executor = new Executor({
        store: options.store,
        actions,
        approval,
        ...(options.environment?.observe ? { observe: options.environment.observe } : {}),
        ...(options.guards === undefined ? {} : { guards: [...options.guards] }),
      });
      const client = server.server.getClientVersion();
      return executor.startRun({
        task: 'MCP client session',
        ...(options.environment ? { environment: options.environment.name } : {}),
        metadata: { via: 'serve-mcp', ...(client ? { client: { name: client.name, version: client.version } } : {}) },
        stopOnBlocked: false,
      });
    })();
    return run;
  };
  let ended: Promise<void> | undefined;
  const endRun = (): Promise<void> => {
    ended ??= run === undefined ? Promise.resolve() : run.then((open) => open.end('succeeded')).then(() => undefined, () => undefined);
    return ended;
  };
  // The client went away (stdin closed, session deleted): the session's run is over.
  server.server.onclose = () => {
    void endRun();
    ownIndex?.close();
  };

  server.registerTool(
    'search_actions',
    {
      title: 'Search actions',
      description: `Find the actions relevant to what you want to do among the ${actions.size} actions this server offers. Returns names, effects and one-line descriptions, best first; then call describe_action for the arguments and run_action to run one.`,
      inputSchema: { query: z.string().min(1).describe('What you want to do, in words'), k: z.number().int().min(1).max(maxResults).optional().describe(`How many results (default 10, at most ${maxResults})`) },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ query, k }, extra) => {
      const { hits, notes = [] } = await index.search(query, { k: k ?? 10, signal: extra.signal });
      const results = hits.flatMap((hit) => {
        const action = actions.find(hit.name);
        return action === undefined ? [] : [{ name: action.name, effect: action.effect, description: firstLine(action.description), source: action.source.kind + (action.source.name ? `:${action.source.name}` : ''), score: round(hit.score) }];
      });
      return structured({ query, results, ...(notes.length > 0 ? { notes: [...notes] } : {}) }, results.map((result) => `${result.name} [${result.effect}] ${result.description}`).join('\n') || 'No matching action; try other words.');
    },
  );

  server.registerTool(
    'describe_action',
    {
      title: 'Describe an action',
      description: `The full description of one action: effect, cost, preconditions and the JSON Schema of its arguments. ${EFFECT_NOTE}`,
      inputSchema: { name: z.string().describe('The action name, as search_actions returned it') },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ name }) => {
      try {
        const descriptor = actions.describe(name);
        return structured(descriptor as unknown as JsonObject, JSON.stringify(descriptor, null, 2));
      } catch (error) {
        return failure(error);
      }
    },
  );

  server.registerTool(
    'run_action',
    {
      title: 'Run an action',
      description: `Run one action with arguments matching its schema (see describe_action). Every call is recorded in Arbor's provenance store. Irreversible actions need approval. ${EFFECT_NOTE}`,
      inputSchema: { name: z.string().describe('The action name'), args: z.record(z.string(), z.unknown()).optional().describe('The arguments, as an object') },
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    },
    async ({ name, args }, extra) => {
      if (!actions.has(name)) return failure(safely(() => actions.get(name)));
      const session = await sessionRun();
      const result = await session.execute(name, args ?? {}, { signal: extra.signal });
      const recorded = { runId: session.id, stepId: result.step.id, status: result.status };
      if (!result.ok) return failure(result.error, recorded);
      return structured({ ...recorded, output: (result.output ?? null) as JsonObject }, JSON.stringify(result.output));
    },
  );

  const planning = options.planning;
  const tasks = planning?.environment.tasks ?? [];
  if (planning !== undefined && tasks.length > 0) {
    const taskIds = tasks.map((task) => task.id);
    server.registerTool(
      'plan',
      {
        title: 'Plan a task',
        description: `Search for a plan that reaches one of this environment's tasks (${taskIds.slice(0, 10).join(', ')}${taskIds.length > 10 ? ', …' : ''}) and execute it as a recorded run; irreversible steps need approval. Policy: ${planning.policy.name}.`,
        inputSchema: {
          task: z.string().describe('The task id'),
          strategy: z.enum(STRATEGY_NAMES as [string, ...string[]]).optional().describe(`Search strategy (default ${planning.defaultStrategy ?? 'best-first'})`),
        },
        annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
      },
      async ({ task, strategy }, extra) => {
        try {
          const result = await plan({
            environment: planning.environment,
            ...(planning.createEnvironment ? { createEnvironment: planning.createEnvironment } : {}),
            task,
            planner: createPlanner(strategy ?? planning.defaultStrategy ?? 'best-first'),
            policy: planning.policy,
            store: options.store,
            budget: planning.budget ?? { expansions: 200 },
            approval,
            signal: extra.signal,
            metadata: { via: 'serve-mcp' },
          });
          const summary = {
            status: result.status,
            runId: result.runId,
            strategy: result.strategy,
            plan: result.plan.map((step) => ({ action: step.action, input: step.input, effect: step.effect, status: step.status })),
            ...(result.pending ? { pending: { action: result.pending.action, input: result.pending.input } } : {}),
            ...(result.reason ? { reason: result.reason } : {}),
            spent: { ...result.spent },
          } as unknown as JsonObject;
          const text = `${result.status}: ${result.plan.map((step) => step.action).join(' -> ') || 'no steps'} (run ${result.runId})`;
          return result.status === 'succeeded' ? structured(summary, text) : { ...structured(summary, text), isError: true };
        } catch (error) {
          return failure(error);
        }
      },
    );
  }

  return {
    mcp: server,
    connect: (transport) => server.connect(transport),
    close: async () => {
      await server.close();
      await endRun();
      ownIndex?.close();
    },
  };
}

/** A served session: the SDK server, and a close that also ends the session's recorded run. */
export interface ArborMcpServer {
  readonly mcp: McpServer;
  connect(transport: Transport): Promise<void>;
  /** Disconnects and ends the session's run (status `succeeded`). */
  close(): Promise<void>;
}

function structured(value: JsonObject, text: string): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: value };
}

function failure(error: unknown, recorded?: { runId: string; stepId: string; status: string }): CallToolResult {
  const arbor = ArborError.from(error);
  const text = `${arbor.code}: ${arbor.message}${arbor.hint ? ` (${arbor.hint})` : ''}`;
  return { isError: true, content: [{ type: 'text', text }], structuredContent: { error: { code: arbor.code, message: arbor.message, ...(arbor.hint ? { hint: arbor.hint } : {}) }, ...(recorded ?? {}) } };
}

function safely(fn: () => unknown): unknown {
  try {
    fn();
    return new Error('unreachable');
  } catch (error) {
    return error;
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}
