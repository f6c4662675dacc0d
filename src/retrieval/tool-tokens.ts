import { inputJsonSchemaOf, type ActionSpace, type AnyAction } from '../actions/index.js';

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

/** A tool definition as a prompt carries it. */
export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

let defaultCounter: Promise<TokenCounter> | undefined;

/**
 * gpt-tokenizer's cl100k_base encoding, loaded on first use (its tables take a moment to load). Special
 * tokens written in text (`<|endoftext|>` occurs in real API descriptions) count as the plain text they are.
 */
export function loadTokenCounter(): Promise<TokenCounter> {
  const plainText = { disallowedSpecial: new Set<string>() };
  defaultCounter ??= import('gpt-tokenizer/encoding/cl100k_base').then((module) => (text: string) => module.countTokens(text, plainText));
  return defaultCounter;
}

/** Tokens one tool definition costs in a prompt: its name, description and input JSON Schema. */
export function toolDefinitionTokens(tool: ToolDefinition, count: TokenCounter): number {
  return count(`${tool.name}\n${tool.description}\n${JSON.stringify(tool.inputSchema)}`);
}

export function toolDefinitionOf(action: AnyAction): ToolDefinition {
  return { name: action.name, description: action.description, inputSchema: inputJsonSchemaOf(action) };
}

/**
 * Keeps the token cost of every action's definition (computed once per action, following additions and
 * removals), so a step can report what it showed against what showing every tool would have cost.
 */
export class ToolTokenAccount {
  readonly #count: TokenCounter;
  readonly #actions: ActionSpace;
  readonly #perAction = new Map<string, number>();
  readonly #unsubscribe: () => void;
  #total: number | undefined;

  constructor(actions: ActionSpace, count: TokenCounter) {
    this.#actions = actions;
    this.#count = count;
    this.#unsubscribe = actions.subscribe((event) => {
      this.#perAction.delete(event.action.name);
      this.#total = undefined;
    });
  }

  /** Tokens of one action's definition. */
  tokensOf(name: string): number {
    let tokens = this.#perAction.get(name);
    if (tokens === undefined) {
      tokens = toolDefinitionTokens(toolDefinitionOf(this.#actions.get(name)), this.#count);
      this.#perAction.set(name, tokens);
    }
    return tokens;
  }

  /** Tokens of the given definitions. */
  tokensOfAll(names: Iterable<string>): number {
    let total = 0;
    for (const name of names) total += this.tokensOf(name);
    return total;
  }

  /** Tokens every action's definition would cost in one prompt. */
  allTools(): number {
    this.#total ??= this.tokensOfAll(this.#actions.names());
    return this.#total;
  }

  close(): void {
    this.#unsubscribe();
  }
}
