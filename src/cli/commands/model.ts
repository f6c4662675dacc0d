import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { describeModelSettings, ModelClient } from '../../models/index.js';
import type { CliContext } from '../context.js';
import { addModelOptions, modelFromSettings, modelSettingsFromCli, type ModelFlags } from '../model-options.js';

export function registerModelCommand(program: Command, cli: CliContext): void {
  addModelOptions(
    program
      .command('model')
      .description('Show which model Arbor would use (--model, ARBOR_MODEL or the config file); --ping sends it one short prompt')
      .option('--ping', 'send one short prompt and report the answer, tokens and latency')
      .option('--timeout <ms>', 'time limit for --ping', '30000'),
  ).action(async (options: ModelFlags & { ping?: boolean; timeout: string }) => {
    const settings = modelSettingsFromCli(cli, options);
    if (settings === undefined) {
      throw new UsageError('No model configured', 'Pass --model (for example --model ollama:qwen2.5) or set ARBOR_MODEL.');
    }
    const timeoutMs = Number(options.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout must be a positive integer of milliseconds, not "${options.timeout}"`);
    const model = modelFromSettings(cli, settings);
    const described = { model: describeModelSettings(settings), provider: settings.provider, modelId: settings.model, ...(settings.baseURL === undefined ? {} : { baseURL: settings.baseURL }), ...(settings.apiKeyEnv === undefined ? {} : { apiKeyEnv: settings.apiKeyEnv }) };
    if (options.ping !== true) {
      if (cli.options.json) return cli.json(described);
      return cli.out(`${described.model} (provider ${model.provider}, model ${model.modelId})`);
    }
    const client = new ModelClient({ model, timeoutMs, retry: { maxRetries: 1 } });
    const call = await cli.progress(`Asking ${described.model}`, () =>
      client.generate({ messages: [{ role: 'user', content: 'Reply with the single word: ready' }], maxOutputTokens: 16, temperature: 0 }),
    );
    const ping = { ...described, answer: call.result.text.trim(), inputTokens: call.usage.inputTokens, outputTokens: call.usage.outputTokens, usageFrom: call.usage.source, latencyMs: call.durationMs };
    if (cli.options.json) return cli.json(ping);
    cli.out(`${described.model} answered ${JSON.stringify(ping.answer)} in ${ping.latencyMs} ms (${ping.inputTokens} tokens in, ${ping.outputTokens} out, counted by the ${ping.usageFrom === 'provider' ? 'provider' : 'tokenizer'})`);
  });
}
