import type { Planner } from '../planner.js';
import type { SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';
import { DEFAULT_BRANCHING, expandAndScore, isLive, isOpenCommit, prune } from './shared.js';

export interface MctsOptions {
  /** Iterations (select, expand, evaluate, back up) per commit episode. Default 200. */
  iterations?: number;
  /** UCT exploration constant c in Q + c * sqrt(ln N / n). Default 1. */
  exploration?: number;
  /** Proposals per expansion. Default 3. */
  branching?: number;
  /** A commit point is taken once it lies on the most-visited path with at least this many visits... Default 4. */
  commitVisits?: number;
  /** ...and a mean value of at least this. Default 0.5. */
  commitValue?: number;
  /** Times a node whose children all failed is expanded again (the policy answers differently) before it is a dead end. Default 3. */
  maxExpansions?: number;
}

/**
 * Monte Carlo tree search with UCT (LATS): select down the tree by Q + c * sqrt(ln N / n), expand the
 * leaf (one call proposes, one call values all children), back the best child's value up the path, and
 * reflect on dead ends (nodes whose every attempt failed) so later calls see the lesson. Returns as soon as an expansion reaches the goal.
 * Irreversible actions are leaves valued by the policy; one is committed when it lies on the most-visited
 * path from the root with enough visits, or when the iterations run out.
 */
export function mcts(options: MctsOptions = {}): Planner {
  const iterations = options.iterations ?? 200;
  const exploration = options.exploration ?? 1;
  const branching = options.branching ?? DEFAULT_BRANCHING;
  const commitVisits = options.commitVisits ?? 4;
  const commitValue = options.commitValue ?? 0.5;
  const maxExpansions = options.maxExpansions ?? 3;
  return {
    name: 'mcts',
    options: { iterations, exploration, branching, commitVisits, commitValue, maxExpansions },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      const selectable = (node: SearchNode): SearchNode[] => node.children.filter((child) => isOpenCommit(child) || isLive(child));
      const uct = (parent: SearchNode, child: SearchNode): number => {
        if (child.visits === 0) return Number.POSITIVE_INFINITY;
        return child.valueSum / child.visits + exploration * Math.sqrt(Math.log(Math.max(1, parent.visits)) / child.visits);
      };
      const backup = (leaf: SearchNode, value: number): void => {
        for (let node: SearchNode | undefined = leaf; node !== undefined; node = node.parent) {
          node.visits++;
          node.valueSum += value;
          if (node === context.root) break;
        }
      };
      /** Follows the most-visited children from the root; the commit point it ends on, if any. */
      const mostVisitedCommit = (): SearchNode | undefined => {
        let node = context.root;
        for (;;) {
          const children = selectable(node);
          if (children.length === 0) return undefined;
          const best = children.reduce((a, b) => (b.visits > a.visits || (b.visits === a.visits && (b.value ?? 0) > (a.value ?? 0)) ? b : a));
          if (best.visits === 0) return undefined;
          if (isOpenCommit(best)) return best;
          node = best;
        }
      };
      /** Expands a leaf (or re-expands one whose children all failed): returns the goal if reached, and the best value. */
      const grow = async (node: SearchNode): Promise<{ goal?: SearchNode; best: number; live: number }> => {
        const children = await expandAndScore(context, node, branching);
        const goal = children.find((child) => child.goal);
        if (goal !== undefined) return { goal, best: 1, live: 1 };
        const onPath = new Set(context.tree.path(node).map((ancestor) => context.stateKey(ancestor)));
        let best = 0;
        let live = 0;
        for (const child of children) {
          if (!isOpenCommit(child) && !isLive(child)) continue;
          if (!isOpenCommit(child) && onPath.has(context.stateKey(child))) {
            // Back to a state already on this path (a read that changed nothing, an undo): not a new node.
            prune(child, 'cycle');
            continue;
          }
          child.visits = 1;
          child.valueSum = child.value ?? 0;
          best = Math.max(best, child.value ?? 0);
          live++;
        }
        return { best, live };
      };
      for (;;) {
        let committed = false;
        for (let iteration = 0; iteration < iterations && !committed; iteration++) {
          // Selection.
          let node = context.root;
          for (;;) {
            if (isOpenCommit(node) || node.status !== 'expanded') break;
            const children = selectable(node);
            if (children.length === 0) break;
            node = children.reduce((a, b) => (uct(node, b) > uct(node, a) ? b : a));
          }
          if (isOpenCommit(node)) {
            // A commit point is a leaf: back up its value again; it gains visits while it stays attractive.
            backup(node, node.value ?? 0);
          } else if (node.depth >= context.maxDepth) {
            prune(node, 'max-depth');
            backup(node, 0);
          } else if (node.status === 'expanded' && (node.data.expansions as number) >= maxExpansions) {
            // Every attempt from here failed: a dead end. Reflect on it (LATS) and never select it again.
            if (node !== context.root) {
              node.status = 'pruned';
              node.data.reason = 'dead-end';
            }
            await context.reflect(node);
            backup(node, 0);
            if (node === context.root) return undefined;
          } else {
            // Expansion and evaluation: every child is valued in one call; the new ones count one visit.
            const grown = await grow(node);
            if (grown.goal !== undefined) {
              backup(grown.goal, 1);
              return grown.goal;
            }
            node.visits++;
            node.valueSum += grown.best;
            if (node !== context.root && node.parent !== undefined) backup(node.parent, grown.best);
          }
          const candidate = mostVisitedCommit();
          if (candidate !== undefined && candidate.visits >= commitVisits && candidate.valueSum / candidate.visits >= commitValue) {
            await context.commit(candidate);
            committed = true;
            if (candidate.stepStatus === 'ok' && candidate.goal) return candidate;
          }
        }
        if (committed) continue;
        // Out of iterations: commit to the most-visited commit point if there is one, else give up.
        const candidate = mostVisitedCommit();
        if (candidate === undefined || candidate.valueSum / candidate.visits < commitValue) return undefined;
        await context.commit(candidate);
        if (candidate.stepStatus !== 'ok') return undefined;
        if (candidate.goal) return candidate;
      }
    },
  };
}
