import type { Planner } from '../planner.js';
import type { SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';
import { DEFAULT_BRANCHING, expandAndScore, isLive, isOpenCommit, NodeQueue, prune } from './shared.js';

export interface AStarOptions {
  /** Proposals per expansion. Default 3. */
  branching?: number;
  /** Extra step cost for a proposal the policy was unsure of: `priorWeight * (1 - probability)`. Default 0.5. */
  priorWeight?: number;
  /**
   * How the policy's value becomes a cost to go: a value v is read as the chance of finishing with this
   * chance of success per remaining step, so h = log(v) / log(stepSuccess). Default 0.95.
   */
  stepSuccess?: number;
  /** Children the policy values below this are pruned (dead ends, traps). Default 0.02. */
  pruneBelow?: number;
  /** Nodes whose f exceeds this are pruned (high-cost branches). Default: no bound. */
  maxCost?: number;
  /** An expansion that yields no usable child is tried again later (f + 1), up to this many times. Default 2. */
  retries?: number;
}

/**
 * A* over the action tree (ToolChain*): f = g + h, where g sums step costs (the action's declared cost plus
 * a penalty for low policy probability) and h is the caller's heuristic or the policy's value turned into
 * a cost (a value v read as stepSuccess^(steps left)). Nodes are expanded in f order; the goal test is made when a node is popped, so the path
 * returned is the least-cost one the search generated. States reached twice keep their cheapest path.
 */
export function astar(options: AStarOptions = {}): Planner {
  const branching = options.branching ?? DEFAULT_BRANCHING;
  const priorWeight = options.priorWeight ?? 0.5;
  const stepSuccess = options.stepSuccess ?? 0.95;
  const pruneBelow = options.pruneBelow ?? 0.02;
  const maxCost = options.maxCost ?? Number.POSITIVE_INFINITY;
  const retries = options.retries ?? 2;
  return {
    name: 'astar',
    options: { branching, priorWeight, stepSuccess, pruneBelow, retries, ...(Number.isFinite(maxCost) ? { maxCost } : {}) },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      const open = new NodeQueue();
      const bestByState = new Map<string, SearchNode>();
      let order = 0;
      const h = (node: SearchNode): number => {
        if (node.goal) return 0;
        return context.heuristic(node) ?? Math.log(Math.max(node.value ?? 0.5, 0.01)) / Math.log(stepSuccess);
      };
      const start = (root: SearchNode): void => {
        open.clear();
        bestByState.clear();
        const key = context.stateKey(root);
        if (key !== undefined) bestByState.set(key, root);
        root.h = h(root);
        root.data.f = root.g + root.h;
        open.push(root, root.g + root.h);
      };
      start(context.root);
      for (let entry = open.pop(); entry !== undefined; entry = open.pop()) {
        const node = entry.node;
        if (node.status === 'pruned') continue;
        node.data.order = order++;
        if (node.goal) return node;
        if (isOpenCommit(node)) {
          await context.commit(node);
          if (node.stepStatus !== 'ok') continue;
          if (node.goal) return node;
          start(node);
          continue;
        }
        if (node.depth >= context.maxDepth) {
          prune(node, 'max-depth');
          continue;
        }
        const children = await expandAndScore(context, node, branching);
        let queued = 0;
        for (const child of children) {
          if (!child.commit && !isLive(child)) continue;
          child.stepCost = context.costOf(child.action ?? '') + priorWeight * (1 - (child.prior ?? 0));
          child.g = node.g + child.stepCost;
          child.h = h(child);
          const f = child.g + child.h;
          child.data.f = f;
          if (!child.goal && (child.value ?? 1) < pruneBelow) {
            prune(child, 'low-value');
            continue;
          }
          if (f > maxCost) {
            prune(child, 'over-cost');
            continue;
          }
          const key = child.commit ? undefined : context.stateKey(child);
          if (key !== undefined) {
            const known = bestByState.get(key);
            if (known !== undefined && known.g <= child.g) {
              prune(child, 'duplicate-state');
              continue;
            }
            // A cheaper way to a state already queued: the dearer node will not be expanded.
            if (known !== undefined) prune(known, 'duplicate-state');
            bestByState.set(key, child);
          }
          open.push(child, f);
          queued++;
        }
        // Every proposal failed or led nowhere new: ask again later (the policy samples afresh).
        if (queued === 0 && ((node.data.expansions as number | undefined) ?? 1) <= retries) open.push(node, entry.key + 1);
      }
      return undefined;
    },
  };
}
