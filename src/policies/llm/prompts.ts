import { readFileSync } from 'node:fs';

/**
 * The prompt templates, by role, each pinned to a versioned file in ./prompts (shipped in the package).
 * Changing a prompt means adding a new version file and pointing here at it: the tests pin each file's
 * hash, and the prompt text is part of every response-cache key, so old recordings stay valid.
 */
export const PROMPT_FILES = {
  system: 'system.v1',
  propose: 'propose.v1',
  proposeTools: 'propose-tools.v1',
  proposeAndValue: 'propose-value.v2',
  evaluate: 'evaluate.v1',
  plan: 'plan.v1',
  reflect: 'reflect.v1',
  repair: 'repair.v1',
} as const;

export type PromptRole = keyof typeof PROMPT_FILES;

const loaded = new Map<string, string>();

/** The template text of a prompt (read once from the package). */
export function loadPrompt(role: PromptRole): string {
  const file = PROMPT_FILES[role];
  let text = loaded.get(file);
  if (text === undefined) {
    text = readFileSync(new URL(`./prompts/${file}.md`, import.meta.url), 'utf8').trimEnd();
    loaded.set(file, text);
  }
  return text;
}

/** Fills `{{name}}` placeholders; a placeholder without a value is a bug, so it throws. */
export function renderPrompt(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`Prompt placeholder {{${name}}} has no value`);
    return String(value);
  });
}
