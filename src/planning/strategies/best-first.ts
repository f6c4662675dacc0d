import type { Effect } from '../../actions/index.js';
import type { Planner } from '../planner.js';
import type { SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';
import { DEFAULT_BRANCHING, expandAndScore, isLive, isOpenCommit, NodeQueue, prune } from './shared.js';

export interface BestFirstOptions {
  /** Proposals per expansion. Default 3. */
  branching?: number;
  /** Subtracted from a node's value by the effect class of its action. Default read 0, write 0.05, irreversible 0.1. */
  safetyPenalty?: Partial<Record<Effect, number>>;
  /** An irreversible action is committed only when its value reaches this. Default 0.5. */
  commitThreshold?: number;
  /** Children valued below this are pruned (dead ends, traps). Default 0.02. */
  pruneBelow?: number;
  /** An expansion that yields no usable child is tried again later (lower priority), up to this many times. Default 2. */
  retries?: number;
}

/**
 * Best-first search ranked by value and safety (WebOperator): the frontier is ordered by the policy's value
 * minus a penalty for the action's effect class, so safer actions of similar value are explored first.
 * Irreversible actions are commit points: they are never executed speculatively; one is committed when
 * it is the best node of the frontier and its value clears the threshold. Commit points that do not are
 * set aside and the best of them is committed only when nothing safer is left to explore.
 */
export function bestFirst(options: BestFirstOptions = {}): Planner {
  const branching = options.branching ?? DEFAULT_BRANCHING;
  const penalty: Record<Effect, number> = { read: 0, write: 0.05, irreversible: 0.1, ...options.safetyPenalty };
  const commitThreshold = options.commitThreshold ?? 0.5;
  const pruneBelow = options.pruneBelow ?? 0.02;
  const retries = options.retries ?? 2;
  return {
    name: 'best-first',
    options: { branching, safetyPenalty: { ...penalty }, commitThreshold, pruneBelow, retries },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      const frontier = new NodeQueue();
      const deferred: SearchNode[] = [];
      const seen = new Set<string>();
      let order = 0;
      const priority = (node: SearchNode): number => (node.value ?? 0.5) - penalty[node.effect ?? 'read'];
      const start = (root: SearchNode): void => {
        frontier.clear();
        deferred.length = 0;
        seen.clear();
        const key = context.stateKey(root);
        if (key !== undefined) seen.add(key);
        frontier.push(root, 0);
      };
      const commit = async (node: SearchNode): Promise<SearchNode | 'continue'> => {
        await context.commit(node);
        if (node.stepStatus !== 'ok') return 'continue';
        if (node.goal) return node;
        start(node);
        return 'continue';
      };
      start(context.root);
      for (;;) {
        const entry = frontier.pop();
        if (entry === undefined) {
          // Nothing safe left: take the most valuable commit point set aside, if any.
          deferred.sort((a, b) => (b.value ?? 0) - (a.value ?? 0) || a.id - b.id);
          const next = deferred.shift();
          if (next === undefined) return undefined;
          const outcome = await commit(next);
          if (outcome !== 'continue') return outcome;
          continue;
        }
        const node = entry.node;
        if (node.status === 'pruned') continue;
        node.data.order = order++;
        if (node.goal) return node;
        if (isOpenCommit(node)) {
          if ((node.value ?? 0) < commitThreshold) {
            node.data.deferred = true;
            deferred.push(node);
            continue;
          }
          const outcome = await commit(node);
          if (outcome !== 'continue') return outcome;
          continue;
        }
        if (node.depth >= context.maxDepth) {
          prune(node, 'max-depth');
          continue;
        }
        const children = await expandAndScore(context, node, branching);
        let queued = 0;
        for (const child of children) {
          if (child.goal) return child;
          if (!child.commit && !isLive(child)) continue;
          if ((child.value ?? 1) < pruneBelow) {
            prune(child, 'low-value');
            continue;
          }
          const key = child.commit ? undefined : context.stateKey(child);
          if (key !== undefined) {
            if (seen.has(key)) {
              prune(child, 'duplicate-state');
              continue;
            }
            seen.add(key);
          }
          const rank = priority(child);
          child.data.priority = rank;
          // Highest priority first; among equals, the deeper node (closer to done).
          frontier.push(child, -rank - child.depth * 1e-6);
          queued++;
        }
        // Every proposal failed or led nowhere new: ask again later (the policy samples afresh).
        if (queued === 0 && ((node.data.expansions as number | undefined) ?? 1) <= retries) frontier.push(node, entry.key + 0.1);
      }
    },
  };
}
