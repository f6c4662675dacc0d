import type { Planner } from '../planner.js';
import type { SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';
import { DEFAULT_BRANCHING, expandAndScore, isLive } from './shared.js';

export interface MctsOptions {
  /** Iterations (select, expand, evaluate, back up) per commit episode. Default 60. */
  iterations?: number;
  /** UCT exploration constant c in Q + c * sqrt(ln N / n). Default 1. */
  exploration?: number;
  /** Proposals per expansion. Default 3. */
  branching?: number;
  /** A commit point is taken once it lies on the most-visited path with at least this many visits. Default 4. */
  commitVisits?: number;
  /** Reflect (LATS) when an expansion's best child is valued below this, or every child failed. Default 0.2. */
  reflectBelow?: number;
}

/**
 * Monte Carlo tree search with UCT (LATS): select down the tree by Q + c * sqrt(ln N / n), expand the
 * leaf (one call proposes, one call values all children), back the best child's value up the path, and
 * reflect after failures so later calls see the lesson. Returns as soon as an expansion reaches the goal.
 * Irreversible actions are leaves valued by the policy; one is committed when it lies on the most-visited
 * path from the root with enough visits, or when the iterations run out.
 */
export function mcts(options: MctsOptions = {}): Planner {
  const iterations = options.iterations ?? 60;
  const exploration = options.exploration ?? 1;
  const branching = options.branching ?? DEFAULT_BRANCHING;
  const commitVisits = options.commitVisits ?? 4;
  const reflectBelow = options.reflectBelow ?? 0.2;
  return {
    name: 'mcts',
    options: { iterations, exploration, branching, commitVisits, reflectBelow },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      const selectable = (node: SearchNode): SearchNode[] => node.children.filter((child) => child.commit ? child.stepId === null : isLive(child));
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
          if (best.commit) return best;
          node = best;
        }
      };
      for (;;) {
        let committed = false;
        for (let iteration = 0; iteration < iterations && !committed; iteration++) {
          // Selection.
          let node = context.root;
          for (;;) {
            if (node.commit || node.status !== 'expanded') break;
            const children = selectable(node);
            if (children.length === 0) break;
            node = children.reduce((a, b) => (uct(node, b) > uct(node, a) ? b : a));
          }
          if (node.commit) {
            // A commit point is a leaf: back up its value again, it gains visits if it stays attractive.
            backup(node, node.value ?? 0);
          } else if (node.status === 'expanded' || node.depth >= context.maxDepth) {
            // Dead end: expanded before with nothing left to select, or too deep.
            node.data.deadEnd = true;
            backup(node, 0);
          } else {
            // Expansion and evaluation: every child is valued in one call; the new ones count one visit.
            const children = await expandAndScore(context, node, branching);
            const goal = children.find((child) => child.goal);
            if (goal !== undefined) {
              backup(goal, 1);
              return goal;
            }
            let best = 0;
            for (const child of children) {
              if (!child.commit && !isLive(child)) continue;
              child.visits = 1;
              child.valueSum = child.value ?? 0;
              best = Math.max(best, child.value ?? 0);
            }
            node.visits++;
            node.valueSum += best;
            if (node.parent !== undefined && node !== context.root) backup(node.parent, best);
            if (best < reflectBelow) await context.reflect(node);
          }
          const candidate = mostVisitedCommit();
          if (candidate !== undefined && candidate.visits >= commitVisits) {
            await context.commit(candidate);
            committed = true;
            if (candidate.stepStatus === 'ok' && candidate.goal) return candidate;
            if (candidate.stepStatus !== 'ok') candidate.visits = 0;
          }
        }
        if (committed) continue;
        // Out of iterations: commit to the most-visited commit point if there is one, else give up.
        const candidate = mostVisitedCommit();
        if (candidate === undefined) return undefined;
        await context.commit(candidate);
        if (candidate.stepStatus !== 'ok') return undefined;
        if (candidate.goal) return candidate;
      }
    },
  };
}
