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
  /**
   * Which logic made the choices (default 1), recorded with the search: raised whenever the same policy
   * answers would lead the strategy to other choices, so a replay under another revision is refused up
   * front (StrategyRevisionError) instead of diverging halfway.
   */
  readonly revision?: number;
  search(context: SearchContext): Promise<SearchNode | undefined>;
}
