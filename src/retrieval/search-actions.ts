import { z } from 'zod';
import { defineAction, type Action } from '../actions/index.js';
import type { RetrievalStrategy, ToolIndex } from './tool-index.js';

/** The name of the meta-action a policy calls to widen its view of the action space. */
export const SEARCH_ACTIONS = 'search_actions';

export interface SearchActionsInput {
  query: string;
  k?: number;
}

export interface SearchActionsOutput {
  query: string;
  strategy: RetrievalStrategy;
  actions: { name: string; description: string; group: string; score: number }[];
}

export interface SearchActionsOptions {
  /** Name of the meta-action. Default `search_actions`. */
  name?: string;
  /** Largest k a call may ask for. Default 50. */
  maxK?: number;
  /** Strategy of the search. Default: the index's default. */
  strategy?: RetrievalStrategy;
}

/**
 * `search_actions(query, k)`: a read-only action that searches the index, so a policy whose shown
 * candidates do not fit can look further. It runs through the executor like any action, so each call is
 * validated, recorded and replayed; the output is deterministic for a given index (scores are rounded), so
 * a verify replay over the same action space reproduces it.
 */
export function searchActionsAction(index: ToolIndex, options: SearchActionsOptions = {}): Action<SearchActionsInput, SearchActionsOutput> {
  const name = options.name ?? SEARCH_ACTIONS;
  const maxK = options.maxK ?? 50;
  return defineAction<SearchActionsInput, SearchActionsOutput>({
    name,
    description: 'Search the available actions by what they do; returns the best matching action names with their descriptions. Use it when none of the shown actions fits.',
    input: z.object({
      query: z.string().max(2_000).describe('What the action should do, in words'),
      k: z.number().int().min(1).max(maxK).optional().describe(`How many actions to return (default 10, at most ${maxK})`),
    }),
    effect: 'read',
    tags: ['meta', 'retrieval'],
    source: { kind: 'generated', name: 'retrieval' },
    async run(input, context) {
      const result = await index.search(input.query, {
        k: input.k ?? 10,
        ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
        filter: (action) => action.name !== name,
        signal: context.signal,
      });
      return {
        query: input.query,
        strategy: result.strategy,
        actions: result.hits.map((hit) => ({ name: hit.name, description: hit.description, group: hit.group, score: Math.round(hit.score * 10_000) / 10_000 })),
      };
    },
  });
}
