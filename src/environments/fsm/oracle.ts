import TinyQueue from 'tinyqueue';
import type { JsonValue } from '../../internal/json.js';
import type { OracleView, TaskOracle } from '../environment.js';
import type { FsmModel, FsmState, FsmTask, GroundAction, TypeSpec } from './model.js';
import { safeParse } from '../../internal/safe-parse.js';

/** Ground actions with at most this many argument combinations are enumerated by the oracle. */
const ENUMERATE_UP_TO = 256;
const MAX_STATES = 250_000;

interface Move {
  action: GroundAction;
  input: Record<string, JsonValue>;
}

interface Edge {
  move: Move;
  next: string;
}

/** The reachable states of a model under a set of moves, shared by the tasks that use the same moves. */
class StateGraph {
  readonly states = new Map<string, FsmState>();
  readonly edges = new Map<string, Edge[]>();
  /** Grows each time states are added, so distances computed before can be recomputed. */
  version = 0;
  #reverse: { version: number; edges: Map<string, { from: string; cost: number }[]> } | undefined;

  /** Incoming edges of every state, for searching backwards from goals. */
  reverse(): Map<string, { from: string; cost: number }[]> {
    if (this.#reverse?.version !== this.version) {
      const reverse = new Map<string, { from: string; cost: number }[]>();
      for (const [from, edges] of this.edges) {
        for (const edge of edges) {
          let list = reverse.get(edge.next);
          if (list === undefined) reverse.set(edge.next, (list = []));
          list.push({ from, cost: edge.move.action.cost });
        }
      }
      this.#reverse = { version: this.version, edges: reverse };
    }
    return this.#reverse.edges;
  }

  constructor(
    readonly model: FsmModel,
    readonly moves: readonly Move[],
  ) {}

  /** The state's key, exploring everything reachable from it first when it is new. */
  ensure(state: FsmState): string {
    const key = JSON.stringify(state);
    if (!this.states.has(key)) this.#explore(state, key);
    return key;
  }

  #explore(start: FsmState, startKey: string): void {
    const queue: string[] = [startKey];
    this.states.set(startKey, start);
    for (let head = 0; head < queue.length; head++) {
      const key = queue[head] as string;
      const state = this.states.get(key) as FsmState;
      const edges: Edge[] = [];
      for (const move of this.moves) {
        const outcome = this.model.apply(state, move.action, move.input);
        if (outcome.kind !== 'ok') continue;
        const nextKey = JSON.stringify(outcome.state);
        if (nextKey === key) continue;
        edges.push({ move, next: nextKey });
        if (!this.states.has(nextKey)) {
          if (this.states.size >= MAX_STATES) throw new Error(`${this.model.name} has more than ${MAX_STATES} reachable states; the oracle cannot map it`);
          this.states.set(nextKey, outcome.state);
          queue.push(nextKey);
        }
      }
      this.edges.set(key, edges);
    }
    this.version++;
  }
}

const graphs = new WeakMap<FsmModel, Map<string, StateGraph>>();

function graphFor(model: FsmModel, moves: readonly Move[]): StateGraph {
  let byMoves = graphs.get(model);
  if (byMoves === undefined) graphs.set(model, (byMoves = new Map()));
  const key = moves.map((move) => `${move.action.name} ${JSON.stringify(move.input)}`).join('\n');
  let graph = byMoves.get(key);
  if (graph === undefined) byMoves.set(key, (graph = new StateGraph(model, moves)));
  return graph;
}

/**
 * Exact knowledge of an FSM task, from its model: the reachable state graph and every state's least cost
 * to the goal (Dijkstra backwards from the goal states). The moves it considers are every state-changing
 * action with up to 256 argument combinations, plus the steps of the task's reference solution (so
 * argument-heavy actions are known by their right arguments). Built on first use; tasks of a domain that
 * consider the same moves share one state graph.
 */
export class FsmOracle implements TaskOracle {
  readonly #model: FsmModel;
  readonly #task: FsmTask;
  #graph: StateGraph | undefined;
  #distance = new Map<string, number>();
  #version = -1;

  constructor(model: FsmModel, task: FsmTask) {
    this.#model = model;
    this.#task = task;
  }

  /** Least cost from the task's initial state to its goal. */
  get optimalCost(): number {
    return this.costToGo({ observation: this.#model.initialState(this.#task), trajectory: [] });
  }

  /** Number of states known so far. */
  get stateCount(): number {
    return this.#graph?.states.size ?? 0;
  }

  costToGo(view: OracleView): number {
    const key = this.#ensure(view.observation);
    return key === undefined ? Number.POSITIVE_INFINITY : (this.#distance.get(key) ?? Number.POSITIVE_INFINITY);
  }

  nextActions(view: OracleView): { action: string; input: JsonValue }[] {
    const key = this.#ensure(view.observation);
    if (key === undefined) return [];
    const here = this.#distance.get(key);
    if (here === undefined || here === 0) return [];
    const best: { action: string; input: JsonValue }[] = [];
    for (const edge of this.#graph?.edges.get(key) ?? []) {
      const there = this.#distance.get(edge.next);
      if (there !== undefined && Math.abs(edge.move.action.cost + there - here) < 1e-9) best.push({ action: edge.move.action.name, input: edge.move.input });
    }
    return best;
  }

  predict(view: OracleView, action: string, input: JsonValue): OracleView | undefined {
    const ground = this.#model.action(action);
    if (ground === undefined || !isState(view.observation)) return undefined;
    const parsed = safeParse(ground.input, input);
    const outcome = parsed.success ? this.#model.apply(view.observation, ground, parsed.data) : undefined;
    const status = outcome === undefined ? 'failed' : outcome.kind === 'ok' ? 'ok' : outcome.kind;
    return {
      observation: outcome?.kind === 'ok' ? outcome.state : view.observation,
      trajectory: [...view.trajectory, { action, input, status, ...(outcome?.kind === 'ok' ? { output: outcome.output } : {}) }],
    };
  }

  /** The state's key in the graph, with distances brought up to date. */
  #ensure(observation: JsonValue): string | undefined {
    if (!isState(observation)) return undefined;
    this.#graph ??= graphFor(this.#model, this.#movesOf());
    const key = this.#graph.ensure(observation);
    if (this.#version !== this.#graph.version) {
      this.#distance = this.#dijkstra(this.#graph);
      this.#version = this.#graph.version;
    }
    return key;
  }

  /** Least cost to the goal from every known state, searching backwards from the goal states. */
  #dijkstra(graph: StateGraph): Map<string, number> {
    const reverse = graph.reverse();
    const distance = new Map<string, number>();
    const queue = new TinyQueue<{ key: string; cost: number }>([], (a, b) => a.cost - b.cost);
    for (const [key, state] of graph.states) {
      if (this.#task.goal({ state, args: {} })) {
        distance.set(key, 0);
        queue.push({ key, cost: 0 });
      }
    }
    for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
      if (item.cost > (distance.get(item.key) ?? Number.POSITIVE_INFINITY)) continue;
      for (const { from, cost } of reverse.get(item.key) ?? []) {
        const candidate = item.cost + cost;
        if (candidate < (distance.get(from) ?? Number.POSITIVE_INFINITY)) {
          distance.set(from, candidate);
          queue.push({ key: from, cost: candidate });
        }
      }
    }
    return distance;
  }

  #movesOf(): Move[] {
    const moves: Move[] = [];
    const seen = new Set<string>();
    const add = (move: Move): void => {
      const key = `${move.action.name} ${JSON.stringify(move.input)}`;
      if (seen.has(key)) return;
      seen.add(key);
      moves.push(move);
    };
    for (const action of this.#model.actions) {
      if (action.inert || action.argumentCombinations > ENUMERATE_UP_TO) continue;
      for (const input of argumentCombinations(action.args)) add({ action, input });
    }
    for (const step of this.#task.solution ?? []) {
      const action = this.#model.action(step.action);
      if (action !== undefined && !action.inert) add({ action, input: step.input });
    }
    return moves;
  }
}

function valuesOf(type: TypeSpec): JsonValue[] {
  switch (type.kind) {
    case 'boolean':
      return [false, true];
    case 'integer': {
      const values: number[] = [];
      for (let value = type.min ?? 0; value <= (type.max ?? type.min ?? 0); value++) values.push(value);
      return values;
    }
    default:
      return type.values ?? [];
  }
}

function argumentCombinations(args: GroundAction['args']): Record<string, JsonValue>[] {
  let combos: Record<string, JsonValue>[] = [{}];
  for (const arg of args) {
    const next: Record<string, JsonValue>[] = [];
    for (const combo of combos) for (const value of valuesOf(arg.type)) next.push({ ...combo, [arg.name]: value });
    combos = next;
  }
  return combos;
}

function isState(value: JsonValue): value is FsmState {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
