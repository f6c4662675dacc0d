import { parse as parseShell } from 'shell-quote';
import type { ArgumentMask, MaskCheck } from '../actions/index.js';
import { InvalidDefinitionError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import { pathUnder, showValue } from './masks.js';

/*
 * A grammar of allowed shell commands, written as usage templates:
 *
 *   git status
 *   git log [--oneline] [-n <count:int>]
 *   ls [-l] [-a] [<dir:path>]
 *   cat <file:path>...
 *   git (diff|show) [<rev:word>]
 *
 * Words are literal tokens; `<name>` or `<name:type>` is one token of a type (`word`: any token not starting
 * with "-"; `int`; `path`: a path under the grammar's root; `any`); `[ ... ]` is optional; `(a|b)` chooses;
 * `...` after an element repeats it. A command is split into tokens like a POSIX shell would (shell-quote)
 * and must use no shell syntax at all: no operators, redirections, globs, substitutions or variables.
 */

type TokenType = 'word' | 'int' | 'path' | 'any';
type Element =
  | { kind: 'literal'; text: string; repeat: boolean }
  | { kind: 'slot'; name: string; type: TokenType; repeat: boolean }
  | { kind: 'choice'; alternatives: Element[][]; optional: boolean; repeat: boolean };

export interface CommandGrammarOptions {
  /** Root directory for `<x:path>` slots. Default: the process's working directory when checked. */
  root?: string | ((state: unknown) => string);
  description?: string;
  /** Most expansions listed as an enum when the grammar has no slots and no repeats. Default 64. */
  maxListed?: number;
}

/** Parses usage templates into a grammar; throws InvalidDefinitionError naming the template and the problem. */
export function parseCommandTemplates(templates: readonly string[]): Element[][] {
  if (!Array.isArray(templates) || templates.length === 0) {
    throw new InvalidDefinitionError('A command grammar needs at least one template', { hint: 'For example commandGrammar(["git status", "git log [-n <count:int>]"]).' });
  }
  return templates.map((template) => parseTemplate(template));
}

function parseTemplate(template: string): Element[] {
  const fail = (problem: string) =>
    new InvalidDefinitionError(`Command template ${showValue(template)}: ${problem}`, {
      hint: 'Templates use words, <name:type> (word, int, path, any), [optional], (a|b) and "..." for repetition.',
      data: { template, problem },
    });
  if (typeof template !== 'string') throw fail('is not a string');
  const tokens = template.match(/\.\.\.|[[\]()|]|<[^<>\s]+>|[^\s[\]()|<>]+(?:\.\.\.)?|<|>/g) ?? [];
  let position = 0;
  const sequence = (closers: string[]): Element[] => {
    const elements: Element[] = [];
    while (position < tokens.length && !closers.includes(tokens[position] as string)) {
      const token = tokens[position++] as string;
      let element: Element;
      if (token === '[' || token === '(') {
        const close = token === '[' ? ']' : ')';
        const alternatives: Element[][] = [sequence([close, '|'])];
        while (tokens[position] === '|') {
          position++;
          alternatives.push(sequence([close, '|']));
        }
        if (tokens[position] !== close) throw fail(`"${token}" is not closed`);
        position++;
        element = { kind: 'choice', alternatives, optional: token === '[', repeat: false };
      } else if (token === ']' || token === ')' || token === '|' || token === '...' || token === '<' || token === '>') {
        throw fail(`unexpected "${token}"`);
      } else if (token.startsWith('<')) {
        const [name = '', type = 'word'] = token.slice(1, -1).split(':');
        if (!['word', 'int', 'path', 'any'].includes(type)) throw fail(`unknown slot type "${type}"`);
        element = { kind: 'slot', name, type: type as TokenType, repeat: false };
      } else if (token.endsWith('...') && token.length > 3) {
        element = { kind: 'literal', text: token.slice(0, -3), repeat: true };
      } else {
        element = { kind: 'literal', text: token, repeat: false };
      }
      if (tokens[position] === '...') {
        position++;
        element.repeat = true;
      }
      elements.push(element);
    }
    return elements;
  };
  const elements = sequence([]);
  if (position < tokens.length) throw fail(`unexpected "${tokens[position]}"`);
  if (elements.length === 0) throw fail('is empty');
  return elements;
}

/** Splits a command into tokens, refusing every piece of shell syntax. */
export function tokenizeCommand(command: string): { ok: true; tokens: string[] } | { ok: false; reason: string } {
  if (/[$`\n\r\0]/.test(command)) return { ok: false, reason: 'uses shell expansion or control characters ($, `, newlines)' };
  let parsed: ReturnType<typeof parseShell>;
  try {
    parsed = parseShell(command);
  } catch (error) {
    return { ok: false, reason: `cannot be split into words (${error instanceof Error ? error.message : String(error)})` };
  }
  const tokens: string[] = [];
  for (const entry of parsed) {
    if (typeof entry !== 'string') {
      const what = 'op' in entry ? (entry.op === 'glob' ? `the glob ${showValue(entry.pattern)}` : `the shell operator ${showValue(entry.op)}`) : 'a comment';
      return { ok: false, reason: `uses ${what}` };
    }
    tokens.push(entry);
  }
  if (tokens.length === 0) return { ok: false, reason: 'is empty' };
  return { ok: true, tokens };
}

type SlotCheck = (type: TokenType, token: string) => boolean;

/** End positions reachable by matching `elements` from `start` (a small backtracking matcher). */
function matchSequence(elements: readonly Element[], index: number, tokens: readonly string[], start: number, slot: SlotCheck): Set<number> {
  if (index === elements.length) return new Set([start]);
  const element = elements[index] as Element;
  const ends = new Set<number>();
  for (const after of matchElement(element, tokens, start, slot)) {
    for (const end of matchSequence(elements, index + 1, tokens, after, slot)) ends.add(end);
  }
  return ends;
}

function matchElement(element: Element, tokens: readonly string[], start: number, slot: SlotCheck): Set<number> {
  const once = (from: number): Set<number> => {
    const ends = new Set<number>();
    if (element.kind === 'literal') {
      if (tokens[from] === element.text) ends.add(from + 1);
    } else if (element.kind === 'slot') {
      const token = tokens[from];
      if (token !== undefined && slot(element.type, token)) ends.add(from + 1);
    } else {
      for (const alternative of element.alternatives) for (const end of matchSequence(alternative, 0, tokens, from, slot)) ends.add(end);
    }
    return ends;
  };
  const results = new Set<number>(element.kind === 'choice' && element.optional ? [start] : []);
  let frontier = once(start);
  for (const end of frontier) results.add(end);
  while (element.repeat && frontier.size > 0) {
    const next = new Set<number>();
    for (const from of frontier) for (const end of once(from)) if (!results.has(end) && end > from) next.add(end);
    for (const end of next) results.add(end);
    frontier = next;
  }
  return results;
}

/** Every command the grammar allows, when it is finite and small (no slots, no repeats). */
function expansions(elements: readonly Element[], limit: number): string[][] | undefined {
  let results: string[][] = [[]];
  for (const element of elements) {
    if (element.kind === 'slot' || element.repeat) return undefined;
    let options: string[][];
    if (element.kind === 'literal') options = [[element.text]];
    else {
      options = element.optional ? [[]] : [];
      for (const alternative of element.alternatives) {
        const expanded = expansions(alternative, limit);
        if (expanded === undefined) return undefined;
        options.push(...expanded);
      }
    }
    results = results.flatMap((prefix) => options.map((option) => [...prefix, ...option]));
    if (results.length > limit) return undefined;
  }
  return results;
}

/**
 * A mask for a command argument: only commands that match one of the templates (see above). Small grammars
 * without slots are listed as an enum for the model; others are described by their templates.
 */
export function commandGrammar(templates: readonly string[], options: CommandGrammarOptions = {}): ArgumentMask {
  const grammar = parseCommandTemplates(templates);
  const listed = (() => {
    const limit = options.maxListed ?? 64;
    const all: string[] = [];
    for (const template of grammar) {
      const expanded = expansions(template, limit);
      if (expanded === undefined) return undefined;
      all.push(...expanded.map((words) => words.join(' ')));
      if (all.length > limit) return undefined;
    }
    return [...new Set(all)];
  })();
  const root = options.root ?? (() => process.cwd());
  const paths = pathUnder(root);
  const description = options.description ?? `a command matching ${templates.map((template) => `"${template}"`).join(' or ')}`;
  return {
    kind: 'grammar',
    description,
    ...(listed === undefined ? {} : { values: (): readonly JsonValue[] => listed }),
    check(value, state): MaskCheck {
      if (typeof value !== 'string') return { ok: false, reason: `must be a command string, got ${showValue(value)}` };
      const split = tokenizeCommand(value);
      if (!split.ok) return { ok: false, reason: `${showValue(value)} ${split.reason}` };
      const { tokens } = split;
      const slot: SlotCheck = (type, token) => {
        switch (type) {
          case 'any':
            return true;
          case 'word':
            return !token.startsWith('-');
          case 'int':
            return /^-?\d{1,15}$/.test(token);
          case 'path':
            return !token.startsWith('-') && paths.check(token, state).ok;
        }
      };
      for (const template of grammar) if (matchSequence(template, 0, tokens, 0, slot).has(tokens.length)) return { ok: true };
      return { ok: false, reason: `${showValue(value)} matches none of the allowed commands` };
    },
    schema: () => ({ description: `A command matching one of: ${templates.join(' | ')}` }),
  };
}
