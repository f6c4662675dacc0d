import { z } from 'zod';

const effectSchema = z.enum(['read', 'write', 'irreversible']);

/** Per-tool corrections for what a server declares (or fails to declare) about its tools. */
export const mcpToolOverrideSchema = z.strictObject({
  effect: effectSchema.optional().describe('Effect class, overriding the tool annotations.'),
  idempotent: z.boolean().optional(),
  description: z.string().optional(),
  cost: z.number().nonnegative().optional(),
  tags: z.array(z.string()).optional(),
  timeoutMs: z.number().int().positive().optional(),
});

const commonFields = {
  /** Action names are `<prefix><tool>`; default `<server name>.`; "" keeps the bare tool names. */
  prefix: z.string().optional().describe('Prefix of the action names; default "<server>.".'),
  /** Effect of tools whose annotations say neither read-only nor destructive. Default `write`. */
  defaultEffect: effectSchema.optional(),
  /** Only these tools become actions (tool names, before the prefix). */
  include: z.array(z.string()).optional(),
  exclude: z.array(z.string()).optional(),
  tools: z.record(z.string(), mcpToolOverrideSchema).optional().describe('Overrides keyed by tool name.'),
  /** Time limit of one tool call. Default 60000 (the MCP SDK's own default). */
  timeoutMs: z.number().int().positive().optional(),
  /** Time limit for connecting and listing the tools. Default 30000. */
  connectTimeoutMs: z.number().int().positive().optional(),
};

export const mcpStdioServerSchema = z.strictObject({
  command: z.string().min(1).describe('The executable that starts the server.'),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional().describe('Added to a minimal safe environment (PATH, HOME...).'),
  cwd: z.string().optional().describe('Working directory; relative paths resolve against the config file.'),
  ...commonFields,
});

export const mcpHttpServerSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).describe('Streamable HTTP endpoint of the server.'),
  headers: z.record(z.string(), z.string()).optional().describe('Sent with every request (authorization...).'),
  ...commonFields,
});

/** One MCP server: a command to spawn (stdio) or a URL (streamable HTTP). */
export const mcpServerConfigSchema = z.union([mcpStdioServerSchema, mcpHttpServerSchema]);

export type McpToolOverride = z.infer<typeof mcpToolOverrideSchema>;
export type McpStdioServerConfig = z.infer<typeof mcpStdioServerSchema>;
export type McpHttpServerConfig = z.infer<typeof mcpHttpServerSchema>;
export type McpServerConfig = z.infer<typeof mcpServerConfigSchema>;

export function isHttpServer(config: McpServerConfig): config is McpHttpServerConfig {
  return 'url' in config && typeof config.url === 'string';
}

/** Server names become action-name prefixes and environment keys. */
export const MCP_SERVER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
