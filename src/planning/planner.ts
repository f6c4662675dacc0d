import type { JsonObject } from '../internal/json.js';
import type { SearchContext } from './search-context.js';
import type { SearchNode } from './tree.js';

/**
 * A search strategy over the shared tree. `search` explores from `context.root` through the context (which
 * executes, records, restores states and keeps the budget) and returns the node where the task is done,
 * or undefined when it gives up. Irreversible actions are taken only through `context.commit`.
 */
export interface Planner {
  /** Short stable name: `astar`, `mcts`... */
  readonly name: string;
  /** The strategy's settings, recorded with the search so it can be replayed. */
  readonly options: JsonObject;
  search(context: SearchContext): Promise<SearchNode | undefined>;
}
