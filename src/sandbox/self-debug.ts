import { ArborError, UsageError, type SerializedError } from '../errors/index.js';
import type { ExecuteOptions, Run } from '../execution/index.js';
import { RUN_CODE_ACTION, type RunCodeOutput } from './run-code-action.js';

/** One try of the self-debug loop: the code, its recorded step, and what came of it. */
export interface CodeAttempt {
  /** 1 for the first try. */
  attempt: number;
  code: string;
  stepId: string;
  ok: boolean;
  output?: RunCodeOutput;
  error?: SerializedError;
  /** The failure as the agent reads it: the message, the failing line with a caret, the output, the hint. */
  feedback?: string;
}

export interface CodeWriterRequest {
  task: string;
  /** The try this code is for, from 1. */
  attempt: number;
  /** Earlier tries, oldest first, each with its feedback. */
  previous: readonly CodeAttempt[];
  signal?: AbortSignal;
}

/** Writes (or rewrites) code for a task: an LLM policy in production, a script in tests. */
export type CodeWriter = (request: CodeWriterRequest) => string | Promise<string>;

export interface SelfDebugOptions {
  task: string;
  write: CodeWriter;
  /** Tries in all, the first included. Default 3. */
  maxAttempts?: number;
  /** The code action to run. Default `run_code`. */
  action?: string;
  signal?: AbortSignal;
  /** Passed to each `run.execute` (parent step, metadata...). */
  execute?: Omit<ExecuteOptions, 'signal'>;
}

export interface SelfDebugResult {
  ok: boolean;
  attempts: CodeAttempt[];
  /** The successful attempt's output. */
  output?: RunCodeOutput;
  /** The last failure when no attempt succeeded. */
  error?: ArborError;
}

/** Errors that another version of the code cannot fix. */
const FINAL_CODES = new Set(['ARBOR_CANCELLED', 'ARBOR_RUN_CLOSED', 'ARBOR_STORE', 'ARBOR_STORE_CORRUPT']);

/**
 * The self-debug loop: run the code action; when it fails, hand the error (with its line, column and
 * output) back to the writer as an observation and run what it writes next, up to `maxAttempts` tries.
 * Every try is a recorded step of the run, so the whole repair is auditable and replayable.
 */
export async function runCodeWithRepair(run: Run, options: SelfDebugOptions): Promise<SelfDebugResult> {
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new UsageError(`maxAttempts must be an integer >= 1, not ${String(maxAttempts)}`, 'Pass 1 for a single try without repair.');
  }
  const action = options.action ?? RUN_CODE_ACTION;
  const attempts: CodeAttempt[] = [];
  let lastError: ArborError | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (options.signal?.aborted) break;
    const code = await options.write({ task: options.task, attempt, previous: attempts, ...(options.signal ? { signal: options.signal } : {}) });
    const result = await run.execute(action, { code }, { ...options.execute, ...(options.signal ? { signal: options.signal } : {}) });
    if (result.ok) {
      const output = result.output as RunCodeOutput;
      attempts.push({ attempt, code, stepId: result.step.id, ok: true, output });
      return { ok: true, attempts, output };
    }
    lastError = result.error ?? new ArborError('ARBOR_INTERNAL', 'the code step failed without an error');
    const error = lastError.toJSON();
    attempts.push({ attempt, code, stepId: result.step.id, ok: false, error, feedback: formatCodeFeedback(code, error) });
    if (FINAL_CODES.has(error.code) || run.status !== 'running') break;
  }
  return { ok: false, attempts, ...(lastError ? { error: lastError } : {}) };
}

const CONTEXT_LINES = 2;
const OUTPUT_LINES = 20;

/**
 * A failed code step as an agent should read it: the error, the lines around the failing position with a
 * caret under the column, what the code printed before failing, and the hint.
 */
export function formatCodeFeedback(code: string, error: SerializedError): string {
  const parts = [`${error.code}: ${error.message}`];
  const data = error.data ?? {};
  const line = typeof data.line === 'number' ? data.line : undefined;
  const column = typeof data.column === 'number' ? data.column : undefined;
  if (line !== undefined) {
    const lines = code.split('\n');
    const from = Math.max(1, line - CONTEXT_LINES);
    const to = Math.min(lines.length, line + CONTEXT_LINES);
    const width = String(to).length;
    for (let number = from; number <= to; number++) {
      parts.push(`${number === line ? '>' : ' '} ${String(number).padStart(width)} | ${lines[number - 1] ?? ''}`);
      if (number === line && column !== undefined) parts.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
    }
  }
  const stdout = typeof data.stdout === 'string' ? data.stdout : '';
  if (stdout !== '') {
    const printed = stdout.split('\n');
    const shown = printed.slice(-OUTPUT_LINES);
    parts.push(`Printed before the error${printed.length > shown.length ? ` (last ${shown.length} of ${printed.length} lines)` : ''}:`, ...shown);
  }
  if (error.hint !== undefined) parts.push(`Hint: ${error.hint}`);
  return parts.join('\n');
}
