import { describe, expect, it } from 'vitest';
import { ArborError } from '../errors/index.js';
import { createModel, describeModelSettings, modelEntrySchema, parseModelSpec, resolveModelSettings } from './model-spec.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return ArborError.isInstance(error) ? error.code : `untyped: ${String(error)}`;
  }
  return undefined;
}

describe('parseModelSpec', () => {
  it('reads an openai-compatible endpoint with its model after "#"', () => {
    expect(parseModelSpec('openai-compatible:http://127.0.0.1:11434/v1#qwen2.5')).toEqual({ provider: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1', model: 'qwen2.5' });
    expect(parseModelSpec('https://example.test/v1#my/model')).toEqual({ provider: 'openai-compatible', baseURL: 'https://example.test/v1', model: 'my/model' });
  });

  it('reads provider shorthands, keeping colons in Ollama tags', () => {
    expect(parseModelSpec('ollama:qwen2.5')).toEqual({ provider: 'ollama', model: 'qwen2.5' });
    expect(parseModelSpec('ollama:qwen2.5:7b-instruct')).toEqual({ provider: 'ollama', model: 'qwen2.5:7b-instruct' });
    expect(parseModelSpec('OpenAI:gpt-4o-mini')).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
  });

  it('rejects specs it cannot use with ARBOR_MODEL_SPEC and a hint showing the forms', () => {
    for (const spec of ['gpt-4o', 'anthropic:claude', 'openai:', 'openai-compatible:http://x/v1', 'openai-compatible:ftp://x/v1#m', 'openai-compatible:not a url#m', 'ollama:http://x/v1#m']) {
      expect(codeOf(() => parseModelSpec(spec)), spec).toBe('ARBOR_MODEL_SPEC');
    }
    try {
      parseModelSpec('gpt-4o');
    } catch (error) {
      expect((error as ArborError).hint).toContain('openai-compatible:http://127.0.0.1:11434/v1#qwen2.5');
    }
  });
});

describe('createModel', () => {
  it('fills in the OpenAI base URL and requires OPENAI_API_KEY', () => {
    expect(codeOf(() => createModel('openai:gpt-4o-mini', { env: {} }))).toBe('ARBOR_MODEL_API_KEY_MISSING');
    const model = createModel('openai:gpt-4o-mini', { env: { OPENAI_API_KEY: 'sk-x' } });
    expect(model).toMatchObject({ specificationVersion: 'arbor.model.v1', provider: 'openai', modelId: 'gpt-4o-mini' });
  });

  it('needs no key for Ollama, and requires a named key variable when one is given', () => {
    expect(createModel('ollama:qwen2.5', { env: {} }).provider).toBe('ollama');
    expect(codeOf(() => createModel({ provider: 'openai-compatible', model: 'm', baseURL: 'http://127.0.0.1:1/v1', apiKeyEnv: 'MY_KEY' }, { env: {} }))).toBe('ARBOR_MODEL_API_KEY_MISSING');
  });

  it('validates settings objects from config files', () => {
    expect(codeOf(() => createModel({ provider: 'openai-compatible', model: 'm' }))).toBe('ARBOR_MODEL_SPEC');
    expect(codeOf(() => createModel({ provider: 'nope', model: 'm' } as never))).toBe('ARBOR_MODEL_SPEC');
  });
});

describe('resolveModelSettings', () => {
  it('prefers the flag, then ARBOR_MODEL, then the config entry', () => {
    const config = 'ollama:from-config';
    expect(resolveModelSettings({ flag: 'ollama:from-flag', env: { ARBOR_MODEL: 'ollama:from-env' }, config })?.model).toBe('from-flag');
    expect(resolveModelSettings({ env: { ARBOR_MODEL: 'ollama:from-env' }, config })?.model).toBe('from-env');
    expect(resolveModelSettings({ env: { ARBOR_MODEL: '' }, config })?.model).toBe('from-config');
    expect(resolveModelSettings({ env: {} })).toBeUndefined();
  });

  it('applies --model-api-key-env over the spec', () => {
    expect(resolveModelSettings({ flag: 'openai:gpt-4o-mini', apiKeyEnvFlag: 'WORK_OPENAI_KEY', env: {} })).toEqual({ provider: 'openai', model: 'gpt-4o-mini', apiKeyEnv: 'WORK_OPENAI_KEY' });
  });

  it('describes settings without any key', () => {
    expect(describeModelSettings(parseModelSpec('openai-compatible:http://h:1/v1#m'))).toBe('openai-compatible:http://h:1/v1#m');
  });
});

describe('modelEntrySchema', () => {
  it('accepts a spec or settings for a config file, and reports a bad spec as an issue', () => {
    expect(modelEntrySchema.parse('ollama:qwen2.5')).toBe('ollama:qwen2.5');
    expect(modelEntrySchema.parse({ provider: 'openai', model: 'gpt-4o-mini', apiKeyEnv: 'WORK_KEY' })).toEqual({ provider: 'openai', model: 'gpt-4o-mini', apiKeyEnv: 'WORK_KEY' });
    const result = modelEntrySchema.safeParse('gpt-4o');
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('it names no provider');
    expect(modelEntrySchema.safeParse({ provider: 'openai', model: 'm', apiKey: 'sk-in-a-file' }).success).toBe(false);
  });
});
