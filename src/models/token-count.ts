import type { ModelV1CallOptions, ModelV1Message, ModelV1Result } from './v1/index.js';

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

/** Tokens a chat format adds around each message (role markers), as OpenAI documents for its models. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_ANSWER = 3;

let defaultCounter: Promise<TokenCounter> | undefined;

/**
 * gpt-tokenizer's cl100k_base encoding, loaded on first use (its tables take about a second to load, so
 * processes that always get usage from their provider never pay for it).
 */
export function loadDefaultTokenCounter(): Promise<TokenCounter> {
  defaultCounter ??= import('gpt-tokenizer/encoding/cl100k_base').then((module) => (text: string) => module.countTokens(text));
  return defaultCounter;
}

/** An estimate of the input tokens of a call: messages, tool definitions and the JSON schema asked for. */
export function estimateInputTokens(options: Pick<ModelV1CallOptions, 'messages' | 'tools' | 'output'>, count: TokenCounter): number {
  let total = TOKENS_PER_ANSWER;
  for (const message of options.messages) total += TOKENS_PER_MESSAGE + count(messageText(message));
  for (const tool of options.tools ?? []) total += count(`${tool.name}\n${tool.description}\n${JSON.stringify(tool.inputSchema)}`);
  if (options.output?.type === 'json' && options.output.schema !== undefined) total += count(JSON.stringify(options.output.schema));
  return total;
}

/** An estimate of the output tokens of an answer: its text and its tool calls' names and arguments. */
export function estimateOutputTokens(result: Pick<ModelV1Result, 'text' | 'toolCalls'>, count: TokenCounter): number {
  let total = count(result.text);
  for (const call of result.toolCalls) total += count(call.name) + count(call.arguments);
  return total;
}

function messageText(message: ModelV1Message): string {
  if (message.role === 'assistant' && message.toolCalls !== undefined) {
    return [message.content, ...message.toolCalls.map((call) => `${call.name}(${call.arguments})`)].join('\n');
  }
  return message.content;
}
