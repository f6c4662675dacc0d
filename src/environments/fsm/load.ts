import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Node as YamlNode } from 'yaml';
import { EnvironmentFileError } from '../../errors/index.js';
import { domainSchema } from './definition.js';
import { DefinitionProblem, FsmModel, type DefinitionPath } from './model.js';
import { safeParse } from '../../internal/safe-parse.js';

/**
 * Reads an FSM domain from JSON or YAML text (JSON is read by the YAML parser, so both report positions
 * the same way). Any problem, from a syntax error to an unknown variable in an expression or a reference
 * solution that misses the goal, is an EnvironmentFileError naming the file, line, column and field.
 */
export function parseFsmDomain(text: string, file = '<inline>'): FsmModel {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number, field: string) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, field };
  };
  const syntax = document.errors[0];
  if (syntax !== undefined) {
    throw new EnvironmentFileError(position(syntax.pos[0], ''), syntax.message.split('\n')[0] ?? 'syntax error', 'Fix the YAML/JSON syntax at the position given.');
  }
  const at = (path: DefinitionPath): { file: string; line: number; column: number; field: string } => {
    const field = path.join('.');
    // The node itself, or the nearest enclosing one that exists (a missing field points at its parent).
    for (let depth = path.length; depth >= 0; depth--) {
      const node: unknown = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
      if (isNode(node) && (node as YamlNode).range) return position((node as YamlNode).range?.[0] ?? 0, field);
    }
    return position(0, field);
  };
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // An alias to an anchor that is never set, say: the parser reports it only when converting.
    throw new EnvironmentFileError(position(0, ''), error instanceof Error ? error.message.split('\n')[0] ?? 'cannot be read' : String(error), 'Fix the YAML anchors and aliases.');
  }
  const parsed = safeParse(domainSchema, value);
  if (!parsed.success) {
    // A misspelt field also makes the real one look missing: report the misspelling, it is the cause.
    const issue = parsed.error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? parsed.error.issues[0];
    const path = (issue?.path ?? []).map((part) => (typeof part === 'symbol' ? String(part) : part));
    if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
    const message = issue === undefined ? 'invalid document' : describeIssue(issue.code, issue.message, 'keys' in issue ? (issue.keys as string[]) : undefined);
    throw new EnvironmentFileError(at(path), message);
  }
  try {
    return new FsmModel(parsed.data);
  } catch (error) {
    if (error instanceof DefinitionProblem) throw new EnvironmentFileError(at(error.path), error.message);
    throw error;
  }
}

/** Reads an FSM domain file (`.yaml`, `.yml` or `.json`). */
export function loadFsmDomain(path: string): FsmModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EnvironmentFileError({ file: path, line: 0, column: 0, field: '' }, `cannot read the file: ${(error as Error).message}`, 'Check the path.');
  }
  return parseFsmDomain(text, path);
}

function describeIssue(code: string, message: string, keys: string[] | undefined): string {
  if (code === 'unrecognized_keys' && keys !== undefined) return `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((key) => `"${key}"`).join(', ')}`;
  return message;
}
