import { UsageError } from '../../errors/index.js';
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
  /**
   * How a newly expanded node is valued. `rollout` (the default, as LATS does): simulate from its most
   * valuable child, each simulated step proposing and scoring children with the same policy and going on
   * with the best, until the goal, a dead end, a commit point or the rollout depth; back up what the
   * simulation reached. `value`: back up the policy's value of the best child, no simulation (cheaper, and
   * not LATS).
   */
  simulation?: 'rollout' | 'value';
  /** Steps a rollout may take below the node it starts from. Default: down to the search's depth limit (LATS rolls out to its depth limit). */
  rolloutDepth?: number;
  /** Reflections written after failed simulations or on dead ends. Default 3 with rollouts (LATS reflects on fewer than 4 failed trajectories), unlimited with `value`. */
  maxReflections?: number;
  /**
   * Where children's values come from. `evaluate` (the default, as LATS does): a second call scores the
   * children after they were executed, seeing what each step did. `proposal` (the `mcts-q` strategy): the
   * values the proposing call gave each action before it was taken (`Proposal.value`), one call per
   * expansion, when the policy has `proposeAndValue`.
   */
  childValues?: 'evaluate' | 'proposal';
}

/**
 * Monte Carlo tree search with UCT, as LATS does it: select down the tree by Q + c * sqrt(ln N / n), expand
 * the leaf (one call proposes, one call values all children), simulate from its most valuable child (a
 * rollout: the same policy proposes and scores at every simulated step and the best child is taken), back
 * up the rollout's reward (1 at the goal, and the search returns it; 0 at a dead end or the depth limit; a
 * commit point's value where the simulation must stop, since irreversible actions are never simulated), and
 * reflect on failed simulations so later calls see the lesson. With `simulation: 'value'` (the
 * `mcts-value` strategy) the best child's value is backed up instead, with no rollout.
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
  const simulation = options.simulation ?? 'rollout';
  const rolloutDepth = options.rolloutDepth ?? Number.POSITIVE_INFINITY;
  const maxReflections = options.maxReflections ?? (simulation === 'rollout' ? 3 : Number.POSITIVE_INFINITY);
  const childValues = options.childValues ?? 'evaluate';
  if (!(rolloutDepth >= 1)) throw new UsageError(`rolloutDepth must be at least 1, got ${rolloutDepth}`);
  return {
    name: simulation === 'value' ? 'mcts-value' : childValues === 'proposal' ? 'mcts-q' : 'mcts',
    options: {
      iterations,
      exploration,
      branching,
      commitVisits,
      commitValue,
      maxExpansions,
      simulation,
      childValues,
      ...(Number.isFinite(rolloutDepth) ? { rolloutDepth } : {}),
      ...(Number.isFinite(maxReflections) ? { maxReflections } : {}),
    },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      let reflections = 0;
      const reflect = async (node: SearchNode): Promise<void> => {
        if (reflections >= maxReflections) return;
        reflections++;
        await context.reflect(node);
      };
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
      /**
       * Takes in the children of an expansion: those that can be stood on (or committed) and do not return to
       * a state of their own path count one visit at their value; the rest are left out. Returns them.
       */
      const admit = (node: SearchNode, children: readonly SearchNode[]): SearchNode[] => {
        const onPath = new Set(context.tree.path(node).map((ancestor) => context.stateKey(ancestor)));
        const admitted: SearchNode[] = [];
        for (const child of children) {
          if (!isOpenCommit(child) && !isLive(child)) continue;
          if (!isOpenCommit(child) && onPath.has(context.stateKey(child))) {
            // Back to a state already on this path (a read that changed nothing, an undo): not a new node.
            prune(child, 'cycle');
            continue;
          }
          child.visits = 1;
          child.valueSum = child.value ?? 0;
          admitted.push(child);
        }
        return admitted;
      };
      const mostValuable = (nodes: readonly SearchNode[]): SearchNode | undefined =>
        nodes.reduce<SearchNode | undefined>((best, node) => (best === undefined || (node.value ?? 0) > (best.value ?? 0) ? node : best), undefined);
      /** Expands a leaf (or re-expands one whose children all failed): returns the goal if reached, and the admitted children. */
      const grow = async (node: SearchNode): Promise<{ goal?: SearchNode; admitted: SearchNode[] }> => {
        const children = await expandAndScore(context, node, branching, childValues);
        const goal = children.find((child) => child.goal);
        if (goal !== undefined) return { goal, admitted: [] };
        return { admitted: admit(node, children) };
      };
      /**
       * A LATS simulation from `start`: at every step the policy proposes and scores children (recorded like
       * any expansion, marked `rollout`), and the most valuable is taken. Never executes an irreversible action:
       * a commit point ends the simulation with its value as the reward.
       */
      const rollout = async (start: SearchNode): Promise<{ goal?: SearchNode; end: SearchNode; reward: number; failed: boolean }> => {
        const limit = Math.min(context.maxDepth, start.depth + rolloutDepth);
        let node = start;
        start.data.rolloutFrom = true;
        while (node.depth < limit) {
          const children = await expandAndScore(context, node, branching, childValues);
          for (const child of children) child.data.rollout = true;
          const goal = children.find((child) => child.goal);
          if (goal !== undefined) return { goal, end: goal, reward: 1, failed: false };
          const next = mostValuable(admit(node, children));
          if (next === undefined) return { end: node, reward: 0, failed: true };
          if (isOpenCommit(next)) return { end: next, reward: next.value ?? 0, failed: false };
          node = next;
        }
        // The depth limit: LATS gives such a simulation its lowest reward.
        node.data.rolloutLimit = true;
        return { end: node, reward: 0, failed: false };
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
            await reflect(node);
            backup(node, 0);
            if (node === context.root) return undefined;
          } else {
            // Expansion and evaluation: every child is valued in one call; the new ones count one visit.
            const grown = await grow(node);
            if (grown.goal !== undefined) {
              backup(grown.goal, 1);
              return grown.goal;
            }
            const best = mostValuable(grown.admitted);
            if (simulation === 'rollout' && best !== undefined && !isOpenCommit(best)) {
              // Simulation: play on from the most valuable child and back up what it reached.
              const simulated = await rollout(best);
              if (simulated.goal !== undefined) {
                backup(simulated.goal, 1);
                return simulated.goal;
              }
              if (simulated.failed) await reflect(simulated.end);
              backup(simulated.end, simulated.reward);
            } else {
              const value = best?.value ?? 0;
              node.visits++;
              node.valueSum += value;
              if (node !== context.root && node.parent !== undefined) backup(node.parent, value);
            }
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
