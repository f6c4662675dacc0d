import { z } from 'zod';
import { defineAction, type Action, type ActionSpace } from '../actions/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { ActionLibrary } from './action-library.js';

export const SAVE_ACTION = 'save_action';

export interface SaveActionInput {
  name: string;
  description: string;
  code: string;
  fromStep: string | number;
  inputSchema?: JsonObject;
  example?: JsonValue;
  tags?: string[];
}

export interface SaveActionOutput {
  name: string;
  version: number;
  codeHash: string;
}

/**
 * The action an agent calls to keep a function that worked (DynaSaur): it names the run_code step in
 * which the function ran successfully, and the function becomes a new action of the library, available
 * at once in `actions` and in later runs that load the library.
 */
export function createSaveAction(options: { library: ActionLibrary; actions: ActionSpace; name?: string }): Action<SaveActionInput, SaveActionOutput> {
  const { library, actions } = options;
  return defineAction<SaveActionInput, SaveActionOutput>({
    name: options.name ?? SAVE_ACTION,
    description: [
      'Save a function that worked in a run_code step as a new action, to reuse in this and later tasks.',
      'Give the function exactly as written there (async function ({ ...inputs }) { ... }, calling tools as in run_code),',
      'the seq of that run_code step, a name and a description saying what it does.',
    ].join(' '),
    input: z.object({
      name: z.string().min(1).max(200).describe('Name of the new action: letters, digits and _ - . /'),
      description: z.string().min(1).max(2000).describe('What the action does, for choosing it among many'),
      code: z.string().min(1).max(100_000).describe('One JavaScript function taking the input object'),
      fromStep: z.union([z.number().int().nonnegative(), z.string().min(1)]).describe('The run_code step (seq or id) in which the function ran successfully'),
      inputSchema: z.record(z.string(), z.json()).optional().describe('JSON Schema of the input; inferred from the parameter when omitted'),
      example: z.json().optional().describe('An input the function was called with, to infer the schema types'),
      tags: z.array(z.string()).max(20).optional(),
    }) as z.ZodType<SaveActionInput>,
    output: z.object({ name: z.string(), version: z.number().int(), codeHash: z.string() }),
    effect: 'write',
    // Saving the same function twice keeps one version, so a replay of the save changes nothing.
    idempotent: true,
    tags: ['library'],
    async run(input, ctx) {
      const { record } = await library.save({
        name: input.name,
        description: input.description,
        code: input.code,
        ...(input.inputSchema === undefined ? {} : { inputSchema: input.inputSchema }),
        ...(input.example === undefined ? {} : { example: input.example }),
        ...(input.tags === undefined ? {} : { tags: input.tags }),
        origin: { runId: ctx.runId, step: input.fromStep },
        createdBy: 'agent',
        metadata: { savedByStep: ctx.stepId },
      });
      library.install(record, actions);
      return { name: record.name, version: record.version, codeHash: record.codeHash };
    },
  });
}
