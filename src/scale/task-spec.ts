import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BatchFileError, UsageError, type ValidationIssue } from '../errors/index.js';
import type { JsonObject } from '../internal/json.js';
import { safeParse } from '../internal/safe-parse.js';

const positiveInt = z.number().int().positive();

/** The strategy of tasks that name none: the same default as `arbor plan`. */
export const DEFAULT_STRATEGY = 'astar';

/** Limits of one task. Absent fields are unlimited (planners use the same names). */
export const TaskBudgetSchema = z
  .object({
    /** Actions the agent may take (the greedy loop's limit). */
    steps: positiveInt.optional(),
    modelCalls: positiveInt.optional(),
    tokens: positiveInt.optional(),
    /** Node expansions (planners). */
    expansions: positiveInt.optional(),
    wallTimeMs: positiveInt.optional(),
  })
  .strict();

export type TaskBudget = z.infer<typeof TaskBudgetSchema>;

/** One task of a batch: one line of a tasks JSONL file. */
export const TaskSpecSchema = z
  .object({
    /** Your id for the task; results carry it. Default: its line number. */
    id: z.string().min(1).max(200).optional(),
    /** Name of the environment (as in `arbor worker`'s registry). */
    environment: z.string().min(1),
    /** Id of one of the environment's tasks. */
    task: z.string().min(1),
    /**
     * How to solve it: a planner (`astar`, `best-first`, `mcts`, `beam`, `tree-planner`, `best-of-n`,
     * `greedy`) or `loop` (the agent loop, which resumes step by step after a crash). Default `astar`.
     */
    strategy: z.string().min(1).optional(),
    /** Name of the policy to use (`simulated`, `llm`, or a plugin's). Default: the worker's default policy. */
    policy: z.string().min(1).optional(),
    /** Settings of the policy, for example {"accuracy": 0.9, "seed": 3} for the simulated one. */
    policyOptions: z.record(z.string(), z.json()).optional(),
    budget: TaskBudgetSchema.optional(),
    /** Pre-approve irreversible actions for this task (otherwise they are blocked). Default false. */
    approve: z.boolean().optional(),
    metadata: z.record(z.string(), z.json()).optional(),
  })
  .strict();

export type TaskSpec = z.infer<typeof TaskSpecSchema> & { metadata?: JsonObject };

/** Values used where a line leaves a field out (from the command line). */
export type TaskDefaults = Partial<Pick<TaskSpec, 'environment' | 'strategy' | 'policy' | 'budget' | 'approve'>>;

/**
 * Parses a tasks JSONL text: one JSON object per line (blank lines and lines starting with `#` skipped).
 * Any bad line fails the whole file with its line number, so a batch is enqueued whole or not at all.
 */
export function parseTasks(text: string, source = 'tasks', defaults: TaskDefaults = {}): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  const ids = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const lineNumber = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new BatchFileError(source, lineNumber, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BatchFileError(source, lineNumber, 'expected a JSON object');
    const merged = {
      ...definedOnly(defaults),
      ...value,
      ...(defaults.budget !== undefined || 'budget' in value ? { budget: { ...defaults.budget, ...((value as { budget?: object }).budget ?? {}) } } : {}),
    };
    const parsed = safeParse(TaskSpecSchema, merged);
    if (!parsed.success) {
      const issues: ValidationIssue[] = parsed.error.issues.map((issue) => ({ path: issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)), message: issue.message, code: issue.code }));
      throw new BatchFileError(source, lineNumber, 'invalid task', issues);
    }
    const spec = parsed.data as TaskSpec;
    const id = spec.id ?? String(lineNumber);
    const previous = ids.get(id);
    if (previous !== undefined) throw new BatchFileError(source, lineNumber, `task id "${id}" was already used on line ${previous}`);
    ids.set(id, lineNumber);
    tasks.push({ ...spec, id });
  }
  if (tasks.length === 0) throw new BatchFileError(source, lines.length, 'the file has no tasks');
  return tasks;
}

/** Reads and parses a tasks JSONL file. */
export async function readTasksFile(path: string, defaults: TaskDefaults = {}): Promise<TaskSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the tasks file ${path}: ${error instanceof Error ? error.message : String(error)}`, 'Pass a JSONL file with one task per line.');
  }
  return parseTasks(text, path, defaults);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
