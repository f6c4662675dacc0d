import { inputJsonSchemaOf, type AnyAction } from '../actions/index.js';
import type { JsonValue } from '../internal/json.js';
import type { CandidateAction, PolicyState } from '../planning/policy.js';
import type { RetrievalStrategy, SearchHit, ToolIndex } from './tool-index.js';

export interface CandidateRetrievalOptions {
  /** Actions retrieved per step. Default 10. */
  k?: number;
  /** Default: the index's default (hybrid with an embedding model, lexical otherwise). */
  strategy?: RetrievalStrategy;
  /** For `grouped`: how many groups. Default 3. */
  groups?: number;
  /** Actions always shown, whatever the query (for example `search_actions`, or `finish`). */
  pinned?: readonly string[];
  /** Characters of the last observation put into the query. Default 300. */
  observationChars?: number;
  /** Use the experience memory. Default true. */
  experience?: boolean;
  signal?: AbortSignal;
}

export interface RetrievedCandidates {
  query: string;
  candidates: CandidateAction[];
  hits: SearchHit[];
  strategy: RetrievalStrategy;
  notes: string[];
}

/** An action as a policy is shown it. */
export function candidateOf(action: AnyAction): CandidateAction {
  return { name: action.name, description: action.description, effect: action.effect, cost: action.cost, inputSchema: inputJsonSchemaOf(action) };
}

/**
 * The retrieval query for a step: the task, the last action taken and the words of the current
 * observation (truncated, so a large state cannot drown the task).
 */
export function retrievalQuery(state: PolicyState, observationChars = 300): string {
  const last = state.trajectory[state.trajectory.length - 1];
  const parts = [state.task.instruction];
  if (last !== undefined) parts.push(last.action);
  const observed = jsonWords(state.observation).slice(0, observationChars);
  if (observed !== '') parts.push(observed);
  return parts.join('\n');
}

/** The candidates a policy is shown at a step: the pinned actions, then the top k retrieved for the state. */
export async function retrieveCandidates(index: ToolIndex, state: PolicyState, options: CandidateRetrievalOptions = {}): Promise<RetrievedCandidates> {
  const query = retrievalQuery(state, options.observationChars);
  const pinned = (options.pinned ?? []).filter((name) => index.actions.has(name));
  const pinnedSet = new Set(pinned);
  const result = await index.search(query, {
    k: options.k ?? 10,
    ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
    ...(options.experience === undefined ? {} : { experience: options.experience }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    filter: (action) => !pinnedSet.has(action.name),
  });
  const names = [...pinned, ...result.hits.map((hit) => hit.name)];
  return { query, candidates: names.map((name) => candidateOf(index.actions.get(name))), hits: result.hits, strategy: result.strategy, notes: result.notes };
}

function jsonWords(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(jsonWords).filter((part) => part !== '').join(' ');
  return Object.entries(value)
    .map(([key, inner]) => `${key} ${jsonWords(inner)}`.trim())
    .join(' ');
}
