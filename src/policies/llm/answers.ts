import { z } from 'zod';
import { InvalidModelJsonError, type ArborError } from '../../errors/index.js';
import { safeParse } from '../../internal/safe-parse.js';

/*
 * The shapes of the model's JSON answers. They are parsed leniently (an unknown action name or bad
 * arguments are the argument checker's to report, with better errors), while the JSON Schemas sent with
 * the request are strict (an enum of the candidate names) to steer constrained decoding.
 */

const inputShape = z.unknown().optional();

const proposalItem = z.object({
  action: z.string(),
  input: inputShape,
  probability: z.number().min(0).max(1).optional(),
  rationale: z.string().optional(),
});

export const proposalsAnswer = z.object({ proposals: z.array(proposalItem) });

/**
 * Proposals and the current state's value in one answer, each proposal with its own value (the action's
 * value). The values are read as unknown and checked apart from the proposals, so a bad state value is
 * repaired without losing valid proposals (and the reverse), and a bad action value only drops that value.
 */
export const valuedProposalsAnswer = z.object({
  value: z.unknown().optional(),
  proposals: z.array(proposalItem.extend({ value: z.unknown().optional() })),
});

/** The current state's value, as `valuedProposalsAnswer` checks it. */
export const stateValue = z.number().min(0).max(1);

export const scoresAnswer = z.object({
  scores: z.array(z.object({ child: z.number().int().min(0), value: z.number().min(0).max(1), reason: z.string().optional() })),
});

export const plansAnswer = z.object({
  plans: z.array(
    z.object({
      steps: z.array(z.object({ action: z.string(), input: inputShape })).min(1),
      probability: z.number().min(0).max(1).optional(),
    }),
  ),
});

/** The JSON Schema sent for proposals: the action names as an enum, at most k items. */
export function proposalsJsonSchema(names: string[], k: number): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      proposals: {
        type: 'array',
        maxItems: k,
        items: {
          type: 'object',
          properties: {
            action: { type: 'string', enum: names },
            input: { type: 'object' },
            probability: { type: 'number', minimum: 0, maximum: 1 },
            rationale: { type: 'string' },
          },
          required: ['action', 'input', 'probability'],
        },
      },
    },
    required: ['proposals'],
  };
}

/** The JSON Schema sent for proposals with the current state's value and each proposal's value. */
export function valuedProposalsJsonSchema(names: string[], k: number): Record<string, unknown> {
  const value = { type: 'number', minimum: 0, maximum: 1 };
  return {
    type: 'object',
    properties: {
      value,
      proposals: {
        type: 'array',
        maxItems: k,
        items: {
          type: 'object',
          properties: { action: { type: 'string', enum: names }, input: { type: 'object' }, probability: value, value, rationale: { type: 'string' } },
          required: ['action', 'input', 'probability', 'value'],
        },
      },
    },
    required: ['value', 'proposals'],
  };
}

export function scoresJsonSchema(count: number): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      scores: {
        type: 'array',
        minItems: count,
        maxItems: count,
        items: {
          type: 'object',
          properties: { child: { type: 'integer', minimum: 0, maximum: Math.max(0, count - 1) }, value: { type: 'number', minimum: 0, maximum: 1 }, reason: { type: 'string' } },
          required: ['child', 'value'],
        },
      },
    },
    required: ['scores'],
  };
}

export function plansJsonSchema(names: string[], n: number): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      plans: {
        type: 'array',
        maxItems: n,
        items: {
          type: 'object',
          properties: {
            steps: { type: 'array', minItems: 1, items: { type: 'object', properties: { action: { type: 'string', enum: names }, input: { type: 'object' } }, required: ['action', 'input'] } },
            probability: { type: 'number', minimum: 0, maximum: 1 },
          },
          required: ['steps'],
        },
      },
    },
    required: ['plans'],
  };
}

/**
 * Reads a JSON answer into a shape. Code fences around the JSON are tolerated (many models add them even
 * in JSON mode); anything else that is not JSON is an InvalidModelJsonError.
 */
export function readJsonAnswer<T>(text: string, shape: z.ZodType<T>, model: string): { ok: true; value: T } | { ok: false; error: ArborError } {
  const trimmed = text.trim().replace(/^```(?:json)?\s*\n?([\s\S]*?)\n?```$/i, '$1').trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed) as unknown;
  } catch (error) {
    return { ok: false, error: new InvalidModelJsonError(model, text, { parseError: error instanceof Error ? error.message : String(error) }) };
  }
  const result = safeParse(shape, parsed);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)),
      message: issue.message,
      code: issue.code,
    }));
    return { ok: false, error: new InvalidModelJsonError(model, text, { issues }) };
  }
  return { ok: true, value: result.data };
}
