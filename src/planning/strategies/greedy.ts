import type { Planner } from '../planner.js';
import type { SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';

export interface GreedyOptions {
  /** Steps (including failed attempts) before giving up. Default: the search's maxDepth. */
  maxSteps?: number;
}

/**
 * The ReAct baseline: one policy call per step, take the top proposal, never look back. A failed or
 * blocked step stays in the trajectory (the policy sees the error) and the agent tries again from there.
 */
export function greedy(options: GreedyOptions = {}): Planner {
  return {
    name: 'greedy',
    options: { ...options },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      const maxSteps = Math.min(options.maxSteps ?? context.maxDepth, context.maxDepth);
      let node = context.root;
      while (!node.goal && node.depth < maxSteps) {
        const [proposal] = await context.propose(node, 1);
        if (proposal === undefined) return undefined;
        const [child] = await context.expand(node, [proposal]);
        if (child === undefined) {
          // The policy repeated an attempt already made from here: nothing new to try.
          return undefined;
        }
        if (child.status === 'pruned') return undefined;
        if (child.commit) await context.commit(child);
        node = child;
      }
      return node.goal ? node : undefined;
    },
  };
}
