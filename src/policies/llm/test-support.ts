// Helpers for the LLM policy's tests (excluded from the package: see package.json "files").
import { z } from 'zod';
import { ActionSpace, defineAction } from '../../actions/index.js';
import type { Environment } from '../../environments/index.js';
import type { JsonValue } from '../../internal/json.js';
import type { ChatRequestView, ScriptedReply } from '../../testing/index.js';

export const TARGET = 7;

/** A counter to bring to exactly 7 with add(1..3) and double(): small, but a real tree to search. */
export function counterEnvironment(): Environment {
  let value = 0;
  const actions = new ActionSpace([
    defineAction({
      name: 'add',
      description: 'Add 1, 2 or 3 to the counter.',
      input: z.object({ amount: z.number().int().min(1).max(3) }),
      effect: 'write',
      run: ({ amount }) => {
        value += amount;
        return { value };
      },
    }),
    defineAction({
      name: 'double',
      description: 'Double the counter.',
      input: z.object({}),
      effect: 'write',
      run: () => {
        value *= 2;
        return { value };
      },
    }),
  ]);
  return {
    name: 'test/counter',
    actions,
    observe: () => ({ value }),
    tasks: [{ id: 'reach-7', instruction: `Make the counter exactly ${TARGET}.`, isDone: (state) => (state as { value: number }).value === TARGET }],
    snapshot: () => ({ value }),
    restore: (snapshot) => {
      value = (snapshot as { value: number }).value;
    },
  };
}

/**
 * Answers like a model that can count, computed only from the request (so the same prompt always gets
 * the same answer): proposals from the observation in the prompt, scores from each child's state.
 */
export function countingResponder(request: ChatRequestView): ScriptedReply {
  const format = (request.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
  const prompt = request.messages.at(-1)?.content ?? '';
  if (format === 'proposals' || format === 'valued_proposals') {
    const value = Number(/# Current observation\n\{"value":(-?\d+)\}/.exec(prompt)?.[1] ?? Number.NaN);
    const gap = TARGET - value;
    const proposals: JsonValue[] = [
      ...(gap >= 1 ? [{ action: 'add', input: { amount: Math.min(3, gap) }, probability: 0.5 }] : []),
      { action: 'double', input: {}, probability: value > 0 && value * 2 <= TARGET ? 0.3 : 0.05 },
      ...(gap > 1 ? [{ action: 'add', input: { amount: 1 }, probability: 0.1 }] : []),
    ];
    return { json: format === 'proposals' ? { proposals } : { value: valueOf(value), proposals } };
  }
  if (format === 'scores') {
    const states = [...prompt.matchAll(/^(\d+)\. .*\n(?: {3}result: .*\n)? {3}state after it: \{"value":(-?\d+)\}/gm)];
    const scores = states.map((match) => {
      const value = Number(match[2]);
      return { child: Number(match[1]), value: valueOf(value) };
    });
    return { json: { scores } };
  }
  return { status: 400, body: { error: { message: `unexpected request: ${format ?? 'no response format'}` } } };
}

/** How close a counter value is to the target, as the counting model judges it. */
function valueOf(counter: number): number {
  return counter > TARGET ? 0.05 : Math.round((1 - (TARGET - counter) / 10) * 100) / 100;
}
