import type { Effect } from '../actions/index.js';
import type { SerializedError } from '../errors/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'blocked' | 'cancelled';
/**
 * `running` is only ever seen on an irreversible step whose intent was written before it ran and whose
 * outcome never arrived (the process died): such a step is in doubt and is never re-executed automatically.
 */
export type StepStatus = 'ok' | 'failed' | 'blocked' | 'cancelled' | 'running';

export interface RunRecord {
  id: string;
  status: RunStatus;
  task: string | null;
  /** Name of the environment the run acted in, so replay and fork can build a fresh one. */
  environment: string | null;
  /** Set on forks: the run whose prefix this one shares. */
  parentRunId: string | null;
  /** On forks, the parent's steps with `seq < forkSeq` belong to this run too. */
  forkSeq: number | null;
  createdAt: number;
  endedAt: number | null;
  metadata: JsonObject;
}

export interface RunSummary extends RunRecord {
  /** Steps recorded by this run itself (not the inherited prefix of a fork). */
  stepCount: number;
}

export interface RunQuery {
  status?: RunStatus | RunStatus[];
  /** Matches task, environment or id, case-insensitively. */
  text?: string;
  since?: number;
  until?: number;
  limit?: number;
  offset?: number;
}

/** A value an action obtained through its context, kept so a replay can feed it back. */
export interface NondeterministicValue {
  kind: 'now' | 'random' | 'record';
  key?: string;
  value: JsonValue;
}

export interface StepRecord {
  /** `${runId}:${seq}`: deterministic, so a retried write of the same step is recognised. */
  id: string;
  runId: string;
  /** Position in the run, counted from 0 across a fork's inherited prefix. */
  seq: number;
  /** The step whose resulting state this step acted on (or, for nested calls, the calling step). */
  parentStepId: string | null;
  /** 0 for top-level steps; nested calls made through `ctx.call` are one deeper than their caller. */
  depth: number;
  /** `action` for action calls; other kinds (model calls...) are recorded by the modules that make them. */
  kind: string;
  action: string;
  effect: Effect;
  input: JsonValue;
  inputHash: string;
  output: JsonValue | undefined;
  outputHash: string | null;
  status: StepStatus;
  error: SerializedError | null;
  startedAt: number;
  endedAt: number | null;
  durationUs: number | null;
  attempt: number;
  nondeterminism: NondeterministicValue[];
  metadata: JsonObject;
}

/** A step as written: canonical JSON text instead of parsed values. */
export interface StepWrite extends Omit<StepRecord, 'input' | 'output'> {
  inputJson: string;
  outputJson: string | null;
}

export interface SearchNodeRecord {
  runId: string;
  nodeId: number;
  parentId: number | null;
  depth: number;
  action: string | null;
  input: JsonValue | null;
  /** Strategy-defined: open, expanded, pruned, terminal, failed, blocked... */
  status: string;
  /** The step executed to reach this node, when one was. */
  stepId: string | null;
  g: number | null;
  h: number | null;
  value: number | null;
  visits: number;
  data: JsonObject;
}

/** A function saved as an action (the action library): one version of it, with its source and origin. */
export interface GeneratedActionRecord {
  name: string;
  /** 1 for the first version of a name; each save of changed code adds one. */
  version: number;
  description: string;
  /** JavaScript source of a function taking the action's input; it runs in the sandbox. */
  code: string;
  /** sha256 of the code. */
  codeHash: string;
  /** JSON Schema of the input, declared or inferred. */
  inputSchema: JsonObject;
  outputSchema: JsonObject | null;
  /** The action's effect, which also bounds the tools its code may call. */
  effect: Effect;
  tags: string[];
  /** The run it came from (null when a user saved it outside any run). */
  originRunId: string | null;
  /** The code step in which the function ran successfully. */
  originStepId: string | null;
  createdBy: 'agent' | 'user';
  createdAt: number;
  metadata: JsonObject;
}

/**
 * The provenance store port. Implementations: SQLite (embedded default) and PostgreSQL. Every method is
 * async so that both fit; every write is atomic.
 */
export interface Store {
  /** Where the store lives, for messages (a path or a redacted URL). */
  readonly location: string;

  createRun(run: RunRecord): Promise<void>;
  updateRun(id: string, patch: Partial<Pick<RunRecord, 'status' | 'endedAt' | 'metadata'>>): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(query?: RunQuery): Promise<RunSummary[]>;
  /** Ids starting with `prefix` (at most `limit`), to resolve the short ids people type. */
  findRunIds(prefix: string, limit?: number): Promise<string[]>;

  /**
   * Records a step and its input/output blobs in one transaction. Writing a step whose id exists with the
   * same content is a no-op; with different content it throws StepConflictError.
   */
  insertStep(step: StepWrite): Promise<void>;
  /** Replaces a `running` step (an irreversible step's intent) with its outcome. */
  completeStep(step: StepWrite): Promise<void>;
  getStep(id: string): Promise<StepRecord | undefined>;
  /** The run's own steps in seq order (a fork's inherited prefix is not included; see `runSteps`). */
  listSteps(runId: string): Promise<StepRecord[]>;
  /** One more than the highest seq recorded for the run, or `fromSeq` when it has none. */
  nextSeq(runId: string, fromSeq?: number): Promise<number>;

  /** Stores JSON text under its sha256 once; returns the hash. */
  putBlob(json: string): Promise<string>;
  getBlob(hash: string): Promise<string | undefined>;

  /** A content-addressed cache (model responses, embeddings...) kept beside the provenance. */
  getCached(namespace: string, key: string): Promise<string | undefined>;
  putCached(namespace: string, key: string, json: string): Promise<void>;

  /** Inserts or replaces search-tree nodes of a run. */
  putSearchNodes(nodes: SearchNodeRecord[]): Promise<void>;
  listSearchNodes(runId: string, query?: { parentId?: number | null; limit?: number; offset?: number }): Promise<SearchNodeRecord[]>;

  /**
   * Saves a generated action as the next version of its name (1 for a new name), atomically, and returns
   * the record as stored.
   */
  addGeneratedAction(action: Omit<GeneratedActionRecord, 'version'>): Promise<GeneratedActionRecord>;
  /** The given version of a generated action, or its latest when `version` is omitted. */
  getGeneratedAction(name: string, version?: number): Promise<GeneratedActionRecord | undefined>;
  /** The latest version of every generated action by name; with `name`, every version of that one, oldest first. */
  listGeneratedActions(query?: { name?: string }): Promise<GeneratedActionRecord[]>;

  close(): Promise<void>;
}

export function stepIdOf(runId: string, seq: number): string {
  return `${runId}:${seq}`;
}
