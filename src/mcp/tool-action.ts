import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { defineAction, type AnyAction, type Effect } from '../actions/index.js';
import { inputSchemaFromJsonSchema } from './input-schema.js';
import type { McpServerConfig } from './server-config.js';

/** The output of an MCP action: the tool result's content blocks and, when the tool gives one, its structured content. */
export interface McpToolOutput {
  content: unknown[];
  structuredContent?: Record<string, unknown>;
}

/** Calls one tool on the server; implemented by McpServerConnection. */
export type ToolCaller = (tool: string, args: Record<string, unknown>, options: { signal: AbortSignal; timeoutMs?: number }) => Promise<McpToolOutput>;

/**
 * Effect class from MCP tool annotations: `readOnlyHint` → read, `destructiveHint` → irreversible, anything
 * else → the server's `defaultEffect` (write). Annotations are hints from the server; a config override wins.
 */
export function effectFromAnnotations(annotations: Tool['annotations'], defaultEffect: Effect = 'write'): Effect {
  if (annotations?.readOnlyHint === true) return 'read';
  if (annotations?.destructiveHint === true) return 'irreversible';
  return defaultEffect;
}

/** The action name for a tool: `<prefix><tool>`, with characters action names cannot hold replaced by `_`. */
export function actionNameFor(server: string, tool: string, config: Pick<McpServerConfig, 'prefix'>): string {
  const prefix = config.prefix ?? `${server}.`;
  return `${prefix}${tool}`.replace(/[^A-Za-z0-9_\-./:{}]/g, '_').replace(/^[^A-Za-z0-9_]/, '_');
}

/** Whether the config lets this tool into the action space. */
export function isToolIncluded(tool: string, config: Pick<McpServerConfig, 'include' | 'exclude'>): boolean {
  if (config.include !== undefined && !config.include.includes(tool)) return false;
  return !(config.exclude ?? []).includes(tool);
}

/** Builds the Arbor action for one MCP tool. Throws UnsupportedSchemaError for an unusable input schema. */
export function toolToAction(server: string, tool: Tool, config: McpServerConfig, call: ToolCaller): AnyAction {
  const override = config.tools?.[tool.name] ?? {};
  const name = actionNameFor(server, tool.name, config);
  const { schema, converter } = inputSchemaFromJsonSchema(tool.inputSchema as Record<string, unknown>, `MCP tool "${tool.name}" of server "${server}"`);
  const effect = override.effect ?? effectFromAnnotations(tool.annotations, config.defaultEffect);
  const idempotent = override.idempotent ?? tool.annotations?.idempotentHint ?? effect === 'read';
  const timeoutMs = override.timeoutMs ?? config.timeoutMs;
  const title = tool.annotations?.title ?? tool.title;
  const description = override.description ?? tool.description ?? title ?? `MCP tool ${tool.name} of server ${server}`;
  const tags = ['mcp', ...(converter === 'ajv' ? ['schema:ajv'] : []), ...(override.tags ?? [])];
  return defineAction({
    name,
    description,
    input: schema,
    effect,
    idempotent,
    group: server,
    source: { kind: 'mcp', name: server },
    tags,
    ...(override.cost === undefined ? {} : { cost: override.cost }),
    // The executor enforces the limit (recorded as ARBOR_ACTION_TIMEOUT) and aborts the signal, which
    // cancels the request on the server; the SDK's own timeout stays a little longer as a backstop.
    timeoutMs: timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    run: (input, context) => call(tool.name, input, { signal: context.signal, timeoutMs: (timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS) + 1_000 }),
  }) as unknown as AnyAction;
}

export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
