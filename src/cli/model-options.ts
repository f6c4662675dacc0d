import type { Command } from 'commander';
import type { ActionSpace } from '../actions/index.js';
import { createModel, describeModelSettings, resolveModelSettings, type ModelSettings } from '../models/index.js';
import type { ModelV1 } from '../models/v1/index.js';
import { llmPolicy, type LlmPolicy, type LlmPolicyOptions } from '../policies/index.js';
import type { CliContext } from './context.js';

/** The model flags, as commander parses them. */
export interface ModelFlags {
  model?: string;
  modelApiKeyEnv?: string;
}

/** Adds --model and --model-api-key-env to a command that talks to a model. */
export function addModelOptions(command: Command): Command {
  return command
    .option('--model <spec>', 'model: openai:<name>, ollama:<name> or openai-compatible:<base-url>#<name> (default: ARBOR_MODEL, then the config file)')
    .option('--model-api-key-env <name>', 'environment variable holding the API key (default: OPENAI_API_KEY for openai:, ARBOR_MODEL_API_KEY for openai-compatible:)');
}

/**
 * The model settings a command should use: --model, then ARBOR_MODEL, then `config` (default: the config
 * file's `model` entry). Undefined when none names one.
 */
export function modelSettingsFromCli(cli: CliContext, flags: ModelFlags, config: string | ModelSettings | undefined = cli.loadedConfig?.config.model): ModelSettings | undefined {
  return resolveModelSettings({
    ...(flags.model === undefined ? {} : { flag: flags.model }),
    ...(flags.modelApiKeyEnv === undefined ? {} : { apiKeyEnvFlag: flags.modelApiKeyEnv }),
    env: cli.io.env,
    ...(config === undefined ? {} : { config }),
  });
}

/** Builds the model named by the settings, reading API keys from the CLI's environment. */
export function modelFromSettings(cli: CliContext, settings: ModelSettings): ModelV1 {
  return createModel(settings, { env: cli.io.env });
}

/**
 * The LLM policy for a command (`arbor plan --model ...`): responses are cached in the command's store, so
 * running the same search again, or replaying it, makes no model calls.
 */
export async function llmPolicyFromCli(
  cli: CliContext,
  settings: ModelSettings,
  actions: ActionSpace,
  options: Omit<LlmPolicyOptions, 'model' | 'actions' | 'store'> = {},
): Promise<LlmPolicy> {
  return llmPolicy({ model: modelFromSettings(cli, settings), actions, store: await cli.store(), name: `llm(${describeModelSettings(settings)})`, ...options });
}
