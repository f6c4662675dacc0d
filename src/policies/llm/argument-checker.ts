import { z } from 'zod';
import { validateWith, type ActionSpace } from '../../actions/index.js';
import { closestNames } from '../../actions/closest-names.js';
import { InvalidToolArgumentsError, UnknownToolError, type ArborError, type ValidationIssue } from '../../errors/index.js';
import type { JsonValue } from '../../internal/json.js';
import type { CandidateAction } from '../../planning/policy.js';

export type ArgumentCheck = { ok: true; action: string; input: JsonValue } | { ok: false; error: ArborError };

/**
 * Checks what a model proposed against the candidates it was shown: the name must be one of them and the
 * arguments must satisfy the action's zod schema (from the action space, when the policy has it) and the
 * candidate's JSON Schema (which a mask may have narrowed, to an enum of valid ids for example).
 */
export class ArgumentChecker {
  readonly #candidates: Map<string, CandidateAction>;
  readonly #actions: ActionSpace | undefined;
  readonly #fromJsonSchema = new Map<string, z.ZodType | null>();

  constructor(candidates: readonly CandidateAction[], actions: ActionSpace | undefined) {
    this.#candidates = new Map(candidates.map((candidate) => [candidate.name, candidate]));
    this.#actions = actions;
  }

  get names(): string[] {
    return [...this.#candidates.keys()];
  }

  check(action: unknown, rawInput: unknown): ArgumentCheck {
    const name = typeof action === 'string' ? action : String(action);
    const candidate = this.#candidates.get(name);
    if (candidate === undefined) return { ok: false, error: new UnknownToolError(name, this.names, closestNames(name, this.#candidates.keys())) };
    const input = rawInput === undefined || rawInput === null ? {} : typeof rawInput === 'string' ? parseObject(rawInput) : rawInput;
    const issues: ValidationIssue[] = [];
    const zodSchema = this.#actions?.find(name)?.input;
    if (zodSchema !== undefined) {
      const result = validateWith(zodSchema, input);
      if (!result.ok) issues.push(...result.issues);
    }
    const narrowed = this.#jsonSchemaValidator(candidate);
    if (narrowed !== null && issues.length === 0) {
      const result = validateWith(narrowed, input);
      if (!result.ok) issues.push(...result.issues);
    }
    if (issues.length > 0) return { ok: false, error: new InvalidToolArgumentsError(name, issues, missingPaths(input, issues)) };
    return { ok: true, action: name, input: input as JsonValue };
  }

  #jsonSchemaValidator(candidate: CandidateAction): z.ZodType | null {
    let validator = this.#fromJsonSchema.get(candidate.name);
    if (validator === undefined) {
      try {
        validator = z.fromJSONSchema(candidate.inputSchema as Parameters<typeof z.fromJSONSchema>[0]);
      } catch {
        // A schema zod cannot read is left to the action's own zod schema and to the executor.
        validator = null;
      }
      this.#fromJsonSchema.set(candidate.name, validator);
    }
    return validator;
  }
}

/** Paths of issues whose value is absent from the input: the arguments the model left out. */
function missingPaths(input: unknown, issues: ValidationIssue[]): string[] {
  const missing = new Set<string>();
  for (const issue of issues) {
    if (issue.path.length === 0) continue;
    let parent: unknown = input;
    for (const segment of issue.path.slice(0, -1)) parent = isRecord(parent) ? parent[String(segment)] : undefined;
    const last = issue.path[issue.path.length - 1];
    if (isRecord(parent) && last !== undefined && !(String(last) in parent)) missing.add(issue.path.join('.'));
  }
  return [...missing];
}

function parseObject(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
