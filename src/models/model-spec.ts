import { z } from 'zod';
import { InvalidModelSpecError } from '../errors/index.js';
import { openAICompatibleModel } from './openai-compatible/openai-compatible-model.js';
import type { ModelV1 } from './v1/index.js';
import { safeParse } from '../internal/safe-parse.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const OLLAMA_BASE_URL = 'http://127.0.0.1:11434/v1';
/** Read (when set) as the key of `openai-compatible:` endpoints that name no apiKeyEnv. */
export const DEFAULT_COMPATIBLE_KEY_ENV = 'ARBOR_MODEL_API_KEY';
/** The environment variable holding a model spec, used when --model is not given. */
export const MODEL_ENV = 'ARBOR_MODEL';

/**
 * A model as a config file or a flag names it. `provider` is a shorthand that fills in the base URL and
 * the API-key variable: `openai` (api.openai.com, OPENAI_API_KEY), `ollama` (127.0.0.1:11434, no key),
 * `openai-compatible` (any URL; key from apiKeyEnv, or ARBOR_MODEL_API_KEY when set).
 */
export const modelSettingsSchema = z
  .object({
    provider: z.enum(['openai', 'ollama', 'openai-compatible']),
    model: z.string().min(1),
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    headers: z.record(z.string(), z.string()).optional(),
    structuredOutputs: z.boolean().optional(),
  })
  .strict();

export type ModelSettings = z.infer<typeof modelSettingsSchema>;

/**
 * The `model` entry of a config file: a spec string (checked here, so a typo is reported with the file's
 * other errors) or a settings object. Pass the parsed value to `resolveModelSettings({ config })`.
 */
export const modelEntrySchema = z.union([
  z.string().superRefine((spec, context) => {
    try {
      parseModelSpec(spec);
    } catch (error) {
      context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  }),
  modelSettingsSchema,
]);

export type ModelEntry = z.infer<typeof modelEntrySchema>;

/**
 * Parses a model spec: `openai:gpt-4o-mini`, `ollama:qwen2.5` (Ollama tags such as `qwen2.5:7b` keep their
 * colon), `openai-compatible:http://127.0.0.1:8000/v1#my-model`, or a bare `http(s)://…/v1#model`.
 */
export function parseModelSpec(spec: string): ModelSettings {
  const text = spec.trim();
  if (/^https?:\/\//i.test(text)) return parseCompatible(spec, text);
  const colon = text.indexOf(':');
  if (colon <= 0) throw new InvalidModelSpecError(spec, 'it names no provider');
  const provider = text.slice(0, colon).toLowerCase();
  const rest = text.slice(colon + 1);
  switch (provider) {
    case 'openai':
    case 'ollama':
      if (rest.trim() === '') throw new InvalidModelSpecError(spec, 'no model name after the colon');
      if (rest.includes('#') || rest.includes('/')) throw new InvalidModelSpecError(spec, `"${provider}:" takes a model name, not a URL (use openai-compatible:<url>#<model>)`);
      return { provider, model: rest };
    case 'openai-compatible':
      return parseCompatible(spec, rest);
    default:
      throw new InvalidModelSpecError(spec, `unknown provider "${provider}" (known: openai, ollama, openai-compatible)`);
  }
}

function parseCompatible(spec: string, rest: string): ModelSettings {
  const hash = rest.indexOf('#');
  if (hash < 0) throw new InvalidModelSpecError(spec, 'no model name: add it after "#", as in http://127.0.0.1:8000/v1#my-model');
  const baseURL = rest.slice(0, hash);
  const model = rest.slice(hash + 1);
  if (model.trim() === '') throw new InvalidModelSpecError(spec, 'no model name after "#"');
  if (!URL.canParse(baseURL) || !/^https?:$/.test(new URL(baseURL).protocol)) throw new InvalidModelSpecError(spec, `"${baseURL}" is not an http(s) URL`);
  return { provider: 'openai-compatible', model, baseURL };
}

export interface CreateModelOptions {
  /** Where API keys are read from. Default process.env. */
  env?: Record<string, string | undefined>;
  fetch?: typeof globalThis.fetch;
}

/** Builds the model a spec or settings object names. Throws InvalidModelSpecError or MissingApiKeyError. */
export function createModel(spec: string | ModelSettings, options: CreateModelOptions = {}): ModelV1 {
  const settings = typeof spec === 'string' ? parseModelSpec(spec) : validated(spec);
  const common = {
    model: settings.model,
    ...(settings.headers === undefined ? {} : { headers: settings.headers }),
    ...(settings.structuredOutputs === undefined ? {} : { structuredOutputs: settings.structuredOutputs }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
  switch (settings.provider) {
    case 'openai':
      return openAICompatibleModel({ ...common, provider: 'openai', baseURL: settings.baseURL ?? OPENAI_BASE_URL, apiKeyEnv: settings.apiKeyEnv ?? 'OPENAI_API_KEY' });
    case 'ollama':
      return openAICompatibleModel({ ...common, provider: 'ollama', baseURL: settings.baseURL ?? OLLAMA_BASE_URL, ...(settings.apiKeyEnv === undefined ? {} : { apiKeyEnv: settings.apiKeyEnv }) });
    case 'openai-compatible':
      if (settings.baseURL === undefined) throw new InvalidModelSpecError(`openai-compatible:${settings.model}`, 'no baseURL');
      return openAICompatibleModel({
        ...common,
        baseURL: settings.baseURL,
        ...(settings.apiKeyEnv === undefined ? { optionalApiKeyEnv: DEFAULT_COMPATIBLE_KEY_ENV } : { apiKeyEnv: settings.apiKeyEnv }),
      });
  }
}

export interface ResolveModelSettingsInput {
  /** The --model flag. */
  flag?: string;
  /** The --model-api-key-env flag: names the variable holding the key. */
  apiKeyEnvFlag?: string;
  /** The environment (ARBOR_MODEL). Default process.env. */
  env?: Record<string, string | undefined>;
  /** The config file's `model` entry: a spec string or settings. */
  config?: string | ModelSettings;
}

/**
 * Which model to use, by precedence: the --model flag, then ARBOR_MODEL, then the config file. Undefined
 * when none names one. The config module calls this with what it read.
 */
export function resolveModelSettings(input: ResolveModelSettingsInput = {}): ModelSettings | undefined {
  const env = input.env ?? process.env;
  const fromEnv = env[MODEL_ENV];
  const chosen = input.flag ?? (fromEnv === undefined || fromEnv.trim() === '' ? undefined : fromEnv) ?? input.config;
  if (chosen === undefined) return undefined;
  const settings = typeof chosen === 'string' ? parseModelSpec(chosen) : validated(chosen);
  return input.apiKeyEnvFlag === undefined ? settings : { ...settings, apiKeyEnv: input.apiKeyEnvFlag };
}

/** A readable one-line name of settings, for messages and run metadata (never includes a key). */
export function describeModelSettings(settings: ModelSettings): string {
  return settings.provider === 'openai-compatible' ? `openai-compatible:${settings.baseURL ?? '?'}#${settings.model}` : `${settings.provider}:${settings.model}`;
}

function validated(settings: ModelSettings): ModelSettings {
  const parsed = safeParse(modelSettingsSchema, settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidModelSpecError(JSON.stringify(settings), `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
