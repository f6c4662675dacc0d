import { z } from 'zod';
import { masksConfigSchema, policyConfigSchema, stagesConfigSchema } from '../guards/config-schema.js';
import { MCP_SERVER_NAME, mcpServerConfigSchema } from '../mcp/server-config.js';
import { modelEntrySchema } from '../models/model-spec.js';
import { openApiSourceSchema } from './openapi-section.js';

const sourceName = z.string().regex(MCP_SERVER_NAME, 'use letters, digits, "_" and "-" (it prefixes action names)');

/**
 * The sections of arbor.config.json / arbor.config.ts. Each area owns one top-level key and defines its
 * schema in its own folder; adding a section is one line here (see ARCHITECTURE.md, "Configuration").
 * Unknown keys are errors, so a typo is caught instead of silently ignored.
 */
export const configSections = {
  /** The JSON Schema editors use for completion; ignored by Arbor. */
  $schema: z.string().optional(),
  /** Name of the environment built from this file, recorded with runs so they can be replayed by name. */
  name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_\-./:]*$/, 'use letters, digits and _ - . / :').optional(),
  /** MCP servers whose tools become actions, keyed by server name (the shape Claude Desktop and Cursor use). */
  mcpServers: z.record(sourceName, mcpServerConfigSchema).optional(),
  /** OpenAPI 3 documents whose operations become actions, keyed by name. */
  openapi: z.record(sourceName, openApiSourceSchema).optional(),
  /** The model planners' LLM policy uses: a spec string or settings (src/models); --model and ARBOR_MODEL win. */
  model: modelEntrySchema.optional(),
  /** The process's stages: the actions allowed in each and the transitions successful actions cause. */
  stages: stagesConfigSchema.optional(),
  /** Valid argument values by action name pattern and argument path (ids in the state, paths under a root, command grammars). */
  masks: masksConfigSchema.optional(),
  /** Allow / deny / ask rules by action name, effect, source and arguments. */
  policy: policyConfigSchema.optional(),
};

export const arborConfigSchema = z.strictObject(configSections);

/** The configuration as written (what `defineConfig` accepts). */
export type ArborConfigInput = z.input<typeof arborConfigSchema>;
/** The validated configuration. */
export type ArborConfig = z.output<typeof arborConfigSchema>;

/** The environment name used when the config does not set `name`. */
export const DEFAULT_CONFIG_ENVIRONMENT = 'config';
