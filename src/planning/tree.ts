import type { Effect } from '../actions/index.js';
import type { SerializedError } from '../errors/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { SearchNodeRecord, StepRecord, StepStatus } from '../provenance/index.js';

/**
 * - `open`: generated, not expanded yet (also an irreversible commit point not yet taken);
 * - `expanded`: its children were generated;
 * - `pruned`: dropped by the strategy (low value, duplicate state, beam cut, superseded by a commit...);
 * - `terminal`: the task is done in this state;
 * - `failed`: its step failed; `blocked`: its step was blocked (precondition, guard or approval).
 */
export type NodeStatus = 'open' | 'expanded' | 'pruned' | 'terminal' | 'failed' | 'blocked';

export interface SearchNode {
  readonly id: number;
  readonly parent: SearchNode | undefined;
  readonly depth: number;
  /** The action and arguments that led here from the parent (null at the root). */
  readonly action: string | null;
  readonly input: JsonValue | null;
  readonly effect: Effect | null;
  status: NodeStatus;
  /** The step executed to reach this node (null at the root and on commit points not yet taken). */
  stepId: string | null;
  stepStatus: StepStatus | null;
  /** Recorded steps of this node's call (the call, its retries and nested calls), for rebuilding states. */
  steps: StepRecord[];
  output?: JsonValue;
  error?: SerializedError;
  /** The environment's observation after the step (undefined until executed). */
  observation: JsonValue | undefined;
  /** The environment's snapshot after the step, when the environment has snapshot/restore. */
  snapshot: JsonValue | undefined;
  /** An irreversible action: a commit point, never executed speculatively. */
  commit: boolean;
  /** The task is done in this node's state (checked by code). */
  goal: boolean;
  /** Cost of the step that led here (the action's declared cost plus strategy terms). */
  stepCost: number;
  g: number;
  h: number | null;
  /** The policy's latest value estimate for this node, in [0, 1]. */
  value: number | null;
  /** The policy's probability for the proposal that created this node. */
  prior: number | null;
  visits: number;
  /** Sum of backed-up values (MCTS); the mean is valueSum / visits. */
  valueSum: number;
  children: SearchNode[];
  /** Strategy-specific facts for the inspector: policy scores, f, reasons, `chosen`. */
  data: JsonObject;
}

export interface NewNode {
  action: string;
  input: JsonValue;
  effect: Effect;
  commit?: boolean;
  prior?: number | null;
}

/** The nodes of one search, in creation order (node ids are their index). */
export class SearchTree {
  readonly nodes: SearchNode[] = [];
  readonly root: SearchNode;

  constructor(rootObservation: JsonValue, rootSnapshot: JsonValue | undefined) {
    this.root = this.#create(undefined, { action: null, input: null, effect: null });
    this.root.observation = rootObservation;
    this.root.snapshot = rootSnapshot;
    this.root.stepStatus = 'ok';
  }

  add(parent: SearchNode, child: NewNode): SearchNode {
    const node = this.#create(parent, child);
    node.commit = child.commit ?? false;
    node.prior = child.prior ?? null;
    parent.children.push(node);
    return node;
  }

  /** The nodes from the root down to `node`, both included. */
  path(node: SearchNode): SearchNode[] {
    const path: SearchNode[] = [];
    for (let current: SearchNode | undefined = node; current !== undefined; current = current.parent) path.push(current);
    return path.reverse();
  }

  /** Whether `ancestor` lies on the path from the root to `node` (a node is its own ancestor). */
  isAncestor(ancestor: SearchNode, node: SearchNode): boolean {
    for (let current: SearchNode | undefined = node; current !== undefined; current = current.parent) {
      if (current === ancestor) return true;
      if (current.depth < ancestor.depth) return false;
    }
    return false;
  }

  /** Marks the path to `node` as the chosen plan (data.chosen = true), for the inspector. */
  markChosen(node: SearchNode): void {
    for (const step of this.path(node)) step.data.chosen = true;
  }

  counts(): Record<NodeStatus, number> {
    const counts: Record<NodeStatus, number> = { open: 0, expanded: 0, pruned: 0, terminal: 0, failed: 0, blocked: 0 };
    for (const node of this.nodes) counts[node.status]++;
    return counts;
  }

  maxDepth(): number {
    let depth = 0;
    for (const node of this.nodes) depth = Math.max(depth, node.depth);
    return depth;
  }

  toRecords(runId: string): SearchNodeRecord[] {
    return this.nodes.map((node) => ({
      runId,
      nodeId: node.id,
      parentId: node.parent?.id ?? null,
      depth: node.depth,
      action: node.action,
      input: node.input,
      status: node.status,
      stepId: node.stepId,
      g: finiteOrNull(node.g),
      h: node.h === null ? null : finiteOrNull(node.h),
      value: node.value,
      visits: node.visits,
      data: {
        ...node.data,
        ...(node.effect === null ? {} : { effect: node.effect }),
        ...(node.prior === null ? {} : { prior: node.prior }),
        ...(node.commit ? { commit: true } : {}),
        ...(node.goal ? { goal: true } : {}),
        ...(node.stepStatus === null ? {} : { stepStatus: node.stepStatus }),
        ...(node.error === undefined ? {} : { error: { code: node.error.code, message: node.error.message } }),
        stepCost: node.stepCost,
        ...(node.visits > 0 ? { meanValue: node.valueSum / node.visits } : {}),
      },
    }));
  }

  #create(parent: SearchNode | undefined, init: { action: string | null; input: JsonValue | null; effect: Effect | null }): SearchNode {
    const node: SearchNode = {
      id: this.nodes.length,
      parent,
      depth: parent === undefined ? 0 : parent.depth + 1,
      action: init.action,
      input: init.input,
      effect: init.effect,
      status: 'open',
      stepId: null,
      stepStatus: null,
      steps: [],
      observation: undefined,
      snapshot: undefined,
      commit: false,
      goal: false,
      stepCost: 0,
      g: parent?.g ?? 0,
      h: null,
      value: null,
      prior: null,
      visits: 0,
      valueSum: 0,
      children: [],
      data: {},
    };
    this.nodes.push(node);
    return node;
  }
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
