import type { Effect } from '../actions/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { GeneratedActionRecord, RunRecord, RunStatus, SearchNodeRecord, StepRecord, StepStatus } from './store.js';

/*
 * The rows both SQL stores read (the same column names in SQLite and PostgreSQL) and how they become records.
 * Payload columns hold JSON text; a store has already resolved inputs and outputs kept in `blobs`.
 */

/** Payloads up to this many bytes are stored in the step row; larger ones once in `blobs`, by hash. */
export const INLINE_LIMIT = 4096;

/** The JSON text to keep in the step row, or null when it goes to `blobs` (measured in bytes, UTF-8). */
export function inline(json: string | null): string | null {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so a text of at most INLINE_LIMIT / 4 units fits without counting.
  return json !== null && (json.length <= INLINE_LIMIT / 4 || Buffer.byteLength(json) <= INLINE_LIMIT) ? json : null;
}

export interface RunRow {
  id: string;
  status: string;
  task: string | null;
  environment: string | null;
  parent_run_id: string | null;
  fork_seq: number | null;
  created_at: number;
  ended_at: number | null;
  metadata: string;
  step_count?: number;
}

export interface StepRow {
  run_id: string;
  seq: number;
  parent_step_id: string | null;
  depth: number;
  kind: string;
  action: string;
  effect: string;
  input_hash: string;
  output_hash: string | null;
  status: string;
  error: string | null;
  started_at: number;
  ended_at: number | null;
  duration_us: number | null;
  attempt: number;
  nondeterminism: string;
  metadata: string;
  input_json: string;
  output_json: string | null;
}

export interface GeneratedActionRow {
  name: string;
  version: number;
  description: string;
  code: string;
  code_hash: string;
  input_schema: string;
  output_schema: string | null;
  effect: string;
  tags: string;
  origin_run_id: string | null;
  origin_step_id: string | null;
  created_by: string;
  created_at: number;
  metadata: string;
}

export interface SearchNodeRow {
  run_id: string;
  node_id: number;
  parent_id: number | null;
  depth: number;
  action: string | null;
  input: string | null;
  status: string;
  step_id: string | null;
  g: number | null;
  h: number | null;
  value: number | null;
  visits: number;
  data: string;
}

export function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    status: row.status as RunStatus,
    task: row.task,
    environment: row.environment,
    parentRunId: row.parent_run_id,
    forkSeq: row.fork_seq,
    createdAt: row.created_at,
    endedAt: row.ended_at,
    metadata: JSON.parse(row.metadata) as JsonObject,
  };
}

export function toGeneratedAction(row: GeneratedActionRow): GeneratedActionRecord {
  return {
    name: row.name,
    version: row.version,
    description: row.description,
    code: row.code,
    codeHash: row.code_hash,
    inputSchema: JSON.parse(row.input_schema) as JsonObject,
    outputSchema: row.output_schema === null ? null : (JSON.parse(row.output_schema) as JsonObject),
    effect: row.effect as Effect,
    tags: JSON.parse(row.tags) as string[],
    originRunId: row.origin_run_id,
    originStepId: row.origin_step_id,
    createdBy: row.created_by === 'user' ? 'user' : 'agent',
    createdAt: row.created_at,
    metadata: JSON.parse(row.metadata) as JsonObject,
  };
}

export function toStep(row: StepRow): StepRecord {
  return {
    id: `${row.run_id}:${row.seq}`,
    runId: row.run_id,
    seq: row.seq,
    parentStepId: row.parent_step_id,
    depth: row.depth,
    kind: row.kind,
    action: row.action,
    effect: row.effect as Effect,
    input: JSON.parse(row.input_json) as JsonValue,
    inputHash: row.input_hash,
    output: row.output_json === null ? undefined : (JSON.parse(row.output_json) as JsonValue),
    outputHash: row.output_hash,
    status: row.status as StepStatus,
    error: row.error === null ? null : (JSON.parse(row.error) as StepRecord['error']),
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationUs: row.duration_us,
    attempt: row.attempt,
    nondeterminism: JSON.parse(row.nondeterminism) as StepRecord['nondeterminism'],
    metadata: JSON.parse(row.metadata) as JsonObject,
  };
}

export function toSearchNode(row: SearchNodeRow): SearchNodeRecord {
  return {
    runId: row.run_id,
    nodeId: row.node_id,
    parentId: row.parent_id,
    depth: row.depth,
    action: row.action,
    input: row.input === null ? null : (JSON.parse(row.input) as JsonValue),
    status: row.status,
    stepId: row.step_id,
    g: row.g,
    h: row.h,
    value: row.value,
    visits: row.visits,
    data: JSON.parse(row.data) as JsonObject,
  };
}
