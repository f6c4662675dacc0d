import { z } from 'zod';
import { defineAction, type Action, type ActionSpace, type AnyAction, type Effect } from '../actions/index.js';
import type { JsonValue } from '../internal/json.js';
import type { SandboxLimits } from './limits.js';
import { sharedSandbox, type Sandbox, type SandboxToolCall } from './sandbox.js';
import { bridgeToContext, CODE_ACTION_TAG } from './tool-bridge.js';

export const RUN_CODE_ACTION = 'run_code';

export interface RunCodeInput {
  code: string;
}

export interface RunCodeOutput {
  /** What the code printed with console.log, one line per call. */
  stdout: string;
  /** What the code returned (`return value` at top level); absent when it returned nothing. */
  result?: JsonValue;
  /** Each tool call the code made, in order, with where in the code it was made. */
  toolCalls: SandboxToolCall[];
}

export interface RunCodeActionOptions {
  /** The action space whose tools the code may call: the executor's own. */
  actions: ActionSpace;
  /** Default: the process-wide shared sandbox. */
  sandbox?: Sandbox;
  /** Default `run_code`. */
  name?: string;
  description?: string;
  /**
   * The action's effect, and the most consequential effect of a tool the code may call. Default `write`:
   * irreversible tools are not offered. With `irreversible`, the action itself needs approval and so does
   * each irreversible tool the code calls.
   */
  effect?: Effect;
  /** Narrows the tools offered. Default: every action within the effect bound that is not itself a code action. */
  tools?: (action: AnyAction) => boolean;
  limits?: Partial<SandboxLimits>;
  /** Executor time limit for the whole step. Default: the sandbox's wall-clock limit plus a margin. */
  timeoutMs?: number;
}

const DEFAULT_DESCRIPTION = [
  'Run JavaScript in a sandbox to call several tools in one step, with loops, branches and computation.',
  'Each tool is an async function: `const order = await tools.get_order({ orderId: "ord-1" })` (or `callTool(name, input)` for names with dots).',
  'Print with console.log and `return` a JSON value; both come back as the observation.',
  'A failed tool call throws a ToolError with .code. No Node.js APIs, modules, network or file system.',
].join(' ');

const toolCallSchema = z.object({
  tool: z.string(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  ok: z.boolean(),
  code: z.string().optional(),
});

/**
 * The code action (CodeAct): its input is JavaScript, run in the sandbox with the action space's tools as
 * async functions. Each tool call is a nested, recorded child step; the step's output records stdout, the
 * returned value and every call; a failure records the error with its line and column, so the agent can
 * read it as an observation and fix the code.
 */
export function createRunCodeAction(options: RunCodeActionOptions): Action<RunCodeInput, RunCodeOutput> {
  const name = options.name ?? RUN_CODE_ACTION;
  const effect = options.effect ?? 'write';
  const limits = options.limits;
  return defineAction<RunCodeInput, RunCodeOutput>({
    name,
    description: options.description ?? DEFAULT_DESCRIPTION,
    input: z.object({
      code: z.string().min(1, 'the code is empty').max(200_000).describe('JavaScript statements; top-level await and return are allowed.'),
    }),
    output: z.object({ stdout: z.string(), result: z.json().optional(), toolCalls: z.array(toolCallSchema) }) as z.ZodType<RunCodeOutput>,
    effect,
    tags: [CODE_ACTION_TAG],
    cost: 1,
    idempotent: effect === 'read',
    timeoutMs: options.timeoutMs ?? (limits?.timeMs ?? 10_000) + 5_000,
    async run(input, ctx) {
      const sandbox = options.sandbox ?? sharedSandbox();
      const outcome = await sandbox.run(input.code, {
        ...bridgeToContext(options.actions, ctx, { effect, exclude: name, ...(options.tools ? { tools: options.tools } : {}) }),
        ...(limits === undefined ? {} : { limits }),
      });
      if (!outcome.ok) throw outcome.error;
      return {
        stdout: outcome.stdout,
        ...(outcome.value === undefined ? {} : { result: outcome.value }),
        toolCalls: outcome.toolCalls,
      };
    },
  });
}
