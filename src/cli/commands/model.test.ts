import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAITestServer, type OpenAITestServer } from '../../testing/index.js';
import { runCli } from '../main.js';

let server: OpenAITestServer;
beforeAll(async () => {
  server = await startOpenAITestServer({ apiKey: 'sk-cli' });
});
afterAll(async () => {
  await server.close();
});

/** Runs `arbor ...args` in this process (so the loopback server can answer it) and collects its output. */
async function arbor(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(['node', 'arbor', ...args], { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1', CI: '1', ...env } });
  return { code, stdout: out, stderr: err };
}

describe('arbor model', () => {
  it('shows the model named by --model, or else by ARBOR_MODEL', async () => {
    const flag = await arbor(['model', '--model', 'ollama:qwen2.5:7b', '--json'], { ARBOR_MODEL: 'openai:gpt-4o-mini' });
    expect(flag.code).toBe(0);
    expect(JSON.parse(flag.stdout)).toEqual({ model: 'ollama:qwen2.5:7b', provider: 'ollama', modelId: 'qwen2.5:7b' });
    const env = await arbor(['model'], { ARBOR_MODEL: 'openai:gpt-4o-mini', OPENAI_API_KEY: 'sk-x' });
    expect(env.stdout.trim()).toBe('openai:gpt-4o-mini (provider openai, model gpt-4o-mini)');
  });

  it('pings an OpenAI-compatible endpoint with the key from the named variable', async () => {
    server.enqueue({ text: 'ready', usage: { promptTokens: 12, completionTokens: 1 } });
    const { code, stdout } = await arbor(['model', '--ping', '--json', '--model', `openai-compatible:${server.baseURL}#test-model`, '--model-api-key-env', 'WORK_KEY'], { WORK_KEY: 'sk-cli' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ answer: 'ready', inputTokens: 12, outputTokens: 1, usageFrom: 'provider', apiKeyEnv: 'WORK_KEY' });
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer sk-cli');
  });

  it('fails with one line, a hint and a documented exit code', async () => {
    const missing = await arbor(['model']);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr.trim()).toBe('ARBOR_USAGE: No model configured (Pass --model (for example --model ollama:qwen2.5) or set ARBOR_MODEL.)');
    const spec = await arbor(['model', '--model', 'gpt-4o']);
    expect(spec.code).toBe(2);
    expect(spec.stderr).toMatch(/^ARBOR_MODEL_SPEC: Cannot use model "gpt-4o": it names no provider \(Write it as/);
    const key = await arbor(['model', '--model', 'openai:gpt-4o-mini']);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/^ARBOR_MODEL_API_KEY_MISSING: Model "openai:gpt-4o-mini" needs an API key, but OPENAI_API_KEY is not set/);
    server.enqueue({ status: 503 }, { status: 503 });
    const down = await arbor(['model', '--ping', '--json', '--model', `openai-compatible:${server.baseURL}#test-model`], { ARBOR_MODEL_API_KEY: 'sk-cli' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^ARBOR_MODEL_SERVER_ERROR: Model "openai-compatible:test-model" failed with HTTP 503 after 2 attempts/);
  });
});
