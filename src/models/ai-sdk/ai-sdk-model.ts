import type {
  JSONSchema7,
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3FinishReason,
  LanguageModelV3Message,
  LanguageModelV3ToolChoice,
  LanguageModelV3Usage,
  SharedV3Warning,
} from '@ai-sdk/provider';
import { TruncatedResponseError, UsageError } from '../../errors/index.js';
import type { ModelV1, ModelV1CallOptions, ModelV1FinishReason, ModelV1Message, ModelV1Result, ModelV1ToolCall, ModelV1ToolChoice } from '../v1/index.js';
import { toModelError } from './ai-sdk-errors.js';

/** Any AI SDK language model this adapter accepts (the ai@6 provider specification). */
export type AiSdkLanguageModel = LanguageModelV3;

export interface FromAiSdkOptions {
  /** Provider name shown in messages and cache keys. Default: the model's own `provider`. */
  provider?: string;
}

/**
 * Adapts any AI SDK language model (a `LanguageModelV3`, what `openai('gpt-4o-mini')`,
 * `anthropic(...)`, `createOpenAICompatible(...)(...)` and `ollama(...)` return under ai@6) to Arbor's Model
 * port. It calls the provider's `doGenerate` / `doStream` directly, so Arbor (not the SDK) decides on
 * retries, and tool calls come back unvalidated, exactly as the model wrote them.
 */
export function fromAiSdk(model: AiSdkLanguageModel, options: FromAiSdkOptions = {}): ModelV1 {
  const version = (model as { specificationVersion?: unknown } | null)?.specificationVersion;
  if (version !== 'v3') {
    throw new UsageError(
      typeof model === 'string' ? `fromAiSdk() needs a model object, not the id "${model}"` : `fromAiSdk() needs an AI SDK v3 language model, got specification ${JSON.stringify(version)}`,
      'Pass a model from an ai@6 provider package, for example openai("gpt-4o-mini") from @ai-sdk/openai@3.',
    );
  }
  const provider = options.provider ?? model.provider;
  const name = `${provider}:${model.modelId}`;
  return {
    specificationVersion: 'arbor.model.v1',
    provider,
    modelId: model.modelId,
    async generate(call) {
      const callOptions = toCallOptions(call);
      try {
        return call.stream === true ? await streamed(model, callOptions, name) : await generated(model, callOptions);
      } catch (error) {
        throw toModelError(error, name);
      }
    },
  };
}

async function generated(model: LanguageModelV3, options: LanguageModelV3CallOptions): Promise<ModelV1Result> {
  const result = await model.doGenerate(options);
  let text = '';
  const toolCalls: ModelV1ToolCall[] = [];
  for (const part of result.content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'tool-call') toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: part.input });
  }
  return {
    text,
    toolCalls,
    finishReason: finishReasonOf(result.finishReason),
    usage: usageOf(result.usage),
    ...responseOf(result.response),
    ...warningsOf(result.warnings),
  };
}

async function streamed(model: LanguageModelV3, options: LanguageModelV3CallOptions, name: string): Promise<ModelV1Result> {
  const { stream } = await model.doStream(options);
  let text = '';
  const toolCalls: ModelV1ToolCall[] = [];
  let finish: { reason: ModelV1FinishReason; usage: ModelV1Result['usage'] } | undefined;
  let response: { id?: string; modelId?: string } | undefined;
  let warnings: string[] = [];
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value: part } = await reader.read();
      if (done) break;
      switch (part.type) {
        case 'text-delta':
          text += part.delta;
          break;
        case 'tool-call':
          toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: part.input });
          break;
        case 'response-metadata':
          response = { ...(part.id === undefined ? {} : { id: part.id }), ...(part.modelId === undefined ? {} : { modelId: part.modelId }) };
          break;
        case 'stream-start':
          warnings = part.warnings.map(describeWarning);
          break;
        case 'error':
          throw part.error;
        case 'finish':
          // A stream that stopped without the server's finish reason is cut short, whatever the provider
          // defaulted its unified reason to (@ai-sdk/openai says "other", openai-compatible "error").
          if (part.finishReason.raw === undefined && (part.finishReason.unified === 'other' || part.finishReason.unified === 'error')) {
            throw new TruncatedResponseError(name, 'connection', { received: text });
          }
          finish = { reason: finishReasonOf(part.finishReason), usage: usageOf(part.usage) };
          break;
        default:
          break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (finish === undefined) {
    // The provider's stream closed without a finish part: treat like a stream cut short.
    throw new TruncatedResponseError(name, 'connection', { received: text });
  }
  return {
    text,
    toolCalls,
    finishReason: finish.reason,
    usage: finish.usage,
    ...(response === undefined ? {} : { response }),
    ...(warnings.length === 0 ? {} : { warnings }),
  };
}

function toCallOptions(call: ModelV1CallOptions): LanguageModelV3CallOptions {
  const output = call.output ?? { type: 'text' };
  return {
    prompt: call.messages.map(toPromptMessage),
    ...(call.maxOutputTokens === undefined ? {} : { maxOutputTokens: call.maxOutputTokens }),
    ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
    ...(call.topP === undefined ? {} : { topP: call.topP }),
    ...(call.seed === undefined ? {} : { seed: call.seed }),
    ...(call.stopSequences === undefined ? {} : { stopSequences: call.stopSequences }),
    responseFormat:
      output.type === 'json'
        ? {
            type: 'json',
            ...(output.schema === undefined ? {} : { schema: output.schema as JSONSchema7 }),
            ...(output.name === undefined ? {} : { name: output.name }),
            ...(output.description === undefined ? {} : { description: output.description }),
          }
        : { type: 'text' },
    ...(call.tools === undefined || call.tools.length === 0
      ? {}
      : {
          tools: call.tools.map((tool) => ({ type: 'function' as const, name: tool.name, description: tool.description, inputSchema: tool.inputSchema as JSONSchema7 })),
        }),
    ...(call.toolChoice === undefined ? {} : { toolChoice: toToolChoice(call.toolChoice) }),
    ...(output.type === 'json' && output.strict !== undefined
      ? { providerOptions: { openai: { strictJsonSchema: output.strict }, openaiCompatible: { strictJsonSchema: output.strict } } }
      : {}),
    ...(call.abortSignal === undefined ? {} : { abortSignal: call.abortSignal }),
    ...(call.headers === undefined ? {} : { headers: call.headers }),
  };
}

function toPromptMessage(message: ModelV1Message): LanguageModelV3Message {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: [{ type: 'text', text: message.content }] };
    case 'assistant':
      return {
        role: 'assistant',
        content: [
          ...(message.content === '' ? [] : [{ type: 'text' as const, text: message.content }]),
          ...(message.toolCalls ?? []).map((call) => ({ type: 'tool-call' as const, toolCallId: call.id, toolName: call.name, input: parseOrKeep(call.arguments) })),
        ],
      };
    case 'tool':
      return { role: 'tool', content: [{ type: 'tool-result', toolCallId: message.toolCallId, toolName: message.toolName, output: { type: 'text', value: message.content } }] };
  }
}

function toToolChoice(choice: ModelV1ToolChoice): LanguageModelV3ToolChoice {
  return typeof choice === 'string' ? { type: choice } : { type: 'tool', toolName: choice.tool };
}

function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function finishReasonOf(reason: LanguageModelV3FinishReason | undefined): ModelV1FinishReason {
  return reason?.unified ?? 'unknown';
}

function usageOf(usage: LanguageModelV3Usage | undefined): ModelV1Result['usage'] {
  return { inputTokens: usage?.inputTokens.total, outputTokens: usage?.outputTokens.total };
}

function responseOf(response: { id?: string; modelId?: string } | undefined): { response?: { id?: string; modelId?: string } } {
  if (response === undefined || (response.id === undefined && response.modelId === undefined)) return {};
  return { response: { ...(response.id === undefined ? {} : { id: response.id }), ...(response.modelId === undefined ? {} : { modelId: response.modelId }) } };
}

function warningsOf(warnings: SharedV3Warning[]): { warnings?: string[] } {
  return warnings.length === 0 ? {} : { warnings: warnings.map(describeWarning) };
}

function describeWarning(warning: SharedV3Warning): string {
  const record = warning as { type: string; feature?: string; setting?: string; details?: string; message?: string };
  return [record.type, record.feature ?? record.setting, record.details ?? record.message].filter((part) => part !== undefined).join(': ');
}
