import type { ActionSpace, AnyAction } from '../actions/index.js';
import { describeAction } from '../actions/index.js';
import type { CandidateAction, PolicyState } from './policy.js';

/** What a candidate provider is told about the state it chooses candidates for. */
export interface CandidateContext {
  state: PolicyState;
  /** Depth of the node in the search tree. */
  depth: number;
  actions: ActionSpace;
  /** Every action of the space as a candidate (computed once and cached). */
  all(): readonly CandidateAction[];
}

/**
 * Chooses the actions shown to the policy at a state. Retrieval plugs in here (per-step top-k) and so do
 * guards (stage machines, argument masks): planners only ever see, and only ever execute, what it returns.
 */
export type CandidateProvider = (context: CandidateContext) => readonly CandidateAction[] | Promise<readonly CandidateAction[]>;

/** The default: every action of the environment's space. */
export const allActions: CandidateProvider = (context) => context.all();

const candidateCache = new WeakMap<AnyAction, CandidateAction>();
/**
 * Candidates by input schema, then by what else a candidate shows: environments built afresh from one
 * model (a batch, every search of a benchmark) make new action objects over the same zod schemas, and
 * the JSON Schema conversion is then done once per schema instead of once per environment.
 */
const candidatesBySchema = new WeakMap<object, Map<string, CandidateAction>>();

/** An action as shown to a policy. Cached per action: JSON Schema conversion is the expensive part. */
export function toCandidate(action: AnyAction): CandidateAction {
  let candidate = candidateCache.get(action);
  if (candidate === undefined) {
    // An imported JSON Schema is the action's own: only zod conversions are shared.
    const shareable = action.inputJsonSchema === undefined;
    const key = `${action.name}\u0000${action.description}\u0000${action.effect}\u0000${action.cost}`;
    let bySchema = shareable ? candidatesBySchema.get(action.input) : undefined;
    candidate = bySchema?.get(key);
    if (candidate === undefined) {
      const descriptor = describeAction(action);
      candidate = Object.freeze({
        name: descriptor.name,
        description: descriptor.description,
        effect: descriptor.effect,
        cost: descriptor.cost,
        inputSchema: descriptor.inputSchema,
      });
      if (shareable) {
        if (bySchema === undefined) candidatesBySchema.set(action.input, (bySchema = new Map()));
        bySchema.set(key, candidate);
      }
    }
    candidateCache.set(action, candidate);
  }
  return candidate;
}

const spaceCache = new WeakMap<ActionSpace, { size: number; list: readonly CandidateAction[] }>();

/** All actions of a space as candidates, cached until the space changes. */
export function allCandidates(space: ActionSpace): readonly CandidateAction[] {
  const cached = spaceCache.get(space);
  if (cached !== undefined && cached.size === space.size) return cached.list;
  const list = Object.freeze([...space].map(toCandidate));
  spaceCache.set(space, { size: space.size, list });
  // A removal followed by an addition keeps the size: listen so such a change is seen too.
  const stop = space.subscribe(() => {
    spaceCache.delete(space);
    stop();
  });
  return list;
}

const nameSets = new WeakMap<readonly CandidateAction[], Set<string>>();

/** The names of a candidate list as a set, cached per list (the default provider returns one shared list). */
export function candidateNames(candidates: readonly CandidateAction[]): Set<string> {
  let names = nameSets.get(candidates);
  if (names === undefined) {
    names = new Set(candidates.map((candidate) => candidate.name));
    nameSets.set(candidates, names);
  }
  return names;
}
