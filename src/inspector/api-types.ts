/*
 * The inspector's JSON API, as the web UI sees it. This file imports nothing so that the browser bundle can
 * share it; the server's handlers are type-checked against these shapes.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonRecord = { [key: string]: Json };

export type RunStatusName = 'running' | 'succeeded' | 'failed' | 'blocked' | 'cancelled';
export type StepStatusName = 'ok' | 'failed' | 'blocked' | 'cancelled' | 'running';

export interface ApiErrorBody {
  error: { code: string; message: string; hint?: string; data?: Record<string, unknown> };
}

/** A verify replay's first difference from the run it replayed (from the replay run's metadata). */
export interface DivergenceView {
  seq: number;
  stepId: string;
  action: string;
  reason: string;
  expectedHash: string | null;
  actualHash: string | null;
  expectedStatus: string;
  actualStatus: string | null;
}

export interface RunView {
  id: string;
  status: RunStatusName;
  task: string | null;
  environment: string | null;
  parentRunId: string | null;
  forkSeq: number | null;
  createdAt: number;
  endedAt: number | null;
  metadata: JsonRecord;
  /** Steps the run recorded itself (a fork's shared prefix is not counted). */
  stepCount: number;
  /** `replay`: a recorded verify replay (metadata.replayOf); `fork`: started from a step of another run. */
  kind: 'run' | 'fork' | 'replay';
  replayOf: string | null;
  /** On a replay run: where it diverged (null when it reproduced the original). */
  divergence: DivergenceView | null;
  /** Whether a planner recorded a search tree for the run. */
  hasSearch: boolean;
}

export type RunSortKey = 'createdAt' | 'status' | 'steps' | 'duration' | 'task';

export interface RunsPage {
  runs: RunView[];
  offset: number;
  limit: number;
  hasMore: boolean;
}

/** A shell command the user can copy to act on what they see (the inspector itself changes nothing). */
export interface CliCommandView {
  label: string;
  command: string;
  /** Why the command may not apply as is (for example, a run without a recorded environment). */
  note?: string;
}

export interface ErrorView {
  code: string;
  message: string;
  hint?: string;
}

/** A step without its input and output, for lists. */
export interface StepSummaryView {
  id: string;
  runId: string;
  seq: number;
  parentStepId: string | null;
  depth: number;
  kind: string;
  action: string;
  effect: string;
  status: StepStatusName;
  startedAt: number;
  durationUs: number | null;
  attempt: number;
  error: ErrorView | null;
  /** The first characters of the JSON input and output. */
  inputPreview: string;
  outputPreview: string;
}

export interface StepView extends StepSummaryView {
  input: Json;
  inputHash: string;
  /** Absent when the step produced no output (failed, blocked). */
  output?: Json;
  outputHash: string | null;
  endedAt: number | null;
  nondeterminism: { kind: string; key?: string; value: Json }[];
  metadata: JsonRecord;
}

export interface RunDetail {
  run: RunView;
  /** Steps of the run including a fork's shared prefix (GET /api/runs/:id/steps lists them). */
  totalSteps: number;
  /** Verify replays of this run, newest first. */
  replays: RunView[];
  /** Runs forked from this one. */
  forks: RunView[];
  /** The run this one replays, when it is a replay. */
  original: RunView | null;
  commands: CliCommandView[];
}

/** A model call recorded in the store's response cache, referenced from a search node or step. */
export interface ModelCallView {
  id: string;
  namespace: string;
  purpose: string | null;
  model: string | null;
  /** False when the reference points at nothing the store holds. */
  found: boolean;
  /** The prompt as sent (messages, tools, settings). */
  request: Json;
  /** What the model answered (text, tool calls, finish reason). */
  response: Json;
  usage: Json;
}

export interface StepDetail {
  step: StepView;
  /** The chain of steps from the root of the run's DAG down to this one. */
  lineage: StepSummaryView[];
  modelCalls: ModelCallView[];
  commands: CliCommandView[];
}

/** One node of a search tree, small enough to send ten thousand at once. */
export interface SearchNodeView {
  id: number;
  parentId: number | null;
  depth: number;
  action: string | null;
  status: string;
  g: number | null;
  h: number | null;
  value: number | null;
  visits: number;
  /** On the plan the search chose (data.chosen). */
  chosen: boolean;
  /** The action's effect class, when known (data.effect). */
  effect: string | null;
  /** An irreversible commit point (data.commit). */
  commit: boolean;
  /** The task was done in this node's state (data.goal). */
  goal: boolean;
}

/** A page of search nodes as decoded by `decodeSearchPage` (search-columns.ts). */
export interface SearchPage {
  runId: string;
  nodes: SearchNodeView[];
  offset: number;
  limit: number;
  /** More nodes follow (page with `offset`), or, for a `parent` query, more children. */
  hasMore: boolean;
}

/**
 * A page of search nodes as sent: one array per field (strings as indexes into small tables, scores to
 * 4 decimals, flags as bits), about a quarter of the size of one object per node.
 */
export interface SearchPageWire {
  runId: string;
  offset: number;
  limit: number;
  hasMore: boolean;
  columns: {
    id: number[];
    /** -1 for the root. */
    parentId: number[];
    depth: number[];
    /** Index into `actions`; -1 when the node has no action (the root). */
    action: number[];
    actions: string[];
    /** Index into `statuses`. */
    status: number[];
    statuses: string[];
    g: (number | null)[];
    h: (number | null)[];
    value: (number | null)[];
    visits: number[];
    /** Index into `effects`; -1 when unknown. */
    effect: number[];
    effects: string[];
    /** Bits: 1 chosen, 2 commit, 4 goal. */
    flags: number[];
  };
}

/** A policy call the planner logged (run.metadata.policyLog) that concerns a node. */
export interface PolicyCallView {
  /** Position in the search's policy log. */
  index: number;
  method: string;
  /** `produced`: the call at the parent that proposed or scored this node; `here`: a call made at this node. */
  relation: 'produced' | 'here';
  request: string;
  response: Json;
  usage: Json;
}

export interface SearchNodeDetail {
  node: SearchNodeView & { input: Json; data: JsonRecord };
  /** The step executed to reach the node, with its output (the observation the action returned). */
  step: StepView | null;
  childCount: number;
  modelCalls: ModelCallView[];
  /** What the policy was asked and answered about this node (from the planner's policy log). */
  policyCalls: PolicyCallView[];
  commands: CliCommandView[];
}

export interface DiffEntryView {
  seq: number;
  kind: 'same' | 'changed' | 'left-only' | 'right-only';
  shared: boolean;
  changes: string[];
  left?: StepView;
  right?: StepView;
}

export interface DiffView {
  left: RunView;
  right: RunView;
  entries: DiffEntryView[];
  firstDivergence: number | null;
  commands: CliCommandView[];
}

/** A run and its relatives (forks, forks of forks, verify replays), with every step each recorded. */
export interface FamilyView {
  rootRunId: string;
  runs: RunView[];
  /** Each run's own steps (a fork's prefix is its parent's steps, linked by parentStepId). */
  steps: StepSummaryView[];
  /** True when the family had more steps than the inspector sends at once. */
  truncated: boolean;
}
