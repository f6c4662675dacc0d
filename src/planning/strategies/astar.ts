import type { Planner } from '../planner.js';
import type { Proposal } from '../policy.js';
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
  /**
   * Deferred evaluation, when the policy can value a state while proposing (`proposeAndValue`): a child is
   * queued with its parent's estimate less its step cost (optimistic), and valued when it is popped, in the
   * call that proposes its actions; if its f then exceeds the queue's best, it goes back in the queue with
   * its proposals kept. One model call per expansion instead of two, and nodes never popped are never
   * valued. When the policy also values each proposal in that call (`Proposal.value`, the Q* idea), a
   * child is queued by its action's value instead of the optimistic estimate, and when it is popped its
   * own value is averaged with it (two noisy readings of one state). Irreversible commit points are
   * always valued before they are taken: by their action's value, or else by an `evaluate` call. Default true.
   */
  deferEvaluation?: boolean;
}

/**
 * A* over the action tree (ToolChain*): f = g + h, where g sums step costs (the action's declared cost plus
 * a penalty for low policy probability) and h is the caller's heuristic or the policy's value turned into
 * a cost (a value v read as stepSuccess^(steps left)). Nodes are expanded in f order (each has the least f in
 * the queue when it is expanded); the goal test is made when a node is popped, so the path returned is the
 * least-cost one the search generated. States reached twice keep their cheapest path.
 */
export function astar(options: AStarOptions = {}): Planner {
  const branching = options.branching ?? DEFAULT_BRANCHING;
  const priorWeight = options.priorWeight ?? 0.5;
  const stepSuccess = options.stepSuccess ?? 0.95;
  const pruneBelow = options.pruneBelow ?? 0.02;
  const maxCost = options.maxCost ?? Number.POSITIVE_INFINITY;
  const retries = options.retries ?? 2;
  const deferEvaluation = options.deferEvaluation ?? true;
  return {
    name: 'astar',
    // 2: action values from the proposing call, averaged with the node's own; retries ask proposeAndValue.
    revision: 2,
    options: { branching, priorWeight, stepSuccess, pruneBelow, retries, deferEvaluation, ...(Number.isFinite(maxCost) ? { maxCost } : {}) },
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
      const deferred = deferEvaluation && context.valuesWhileProposing;
      // Proposals received while valuing a node that then went back in the queue: used when it is expanded.
      const proposalsOf = new Map<SearchNode, Proposal[]>();
      const valued = new Set<SearchNode>();
      /** Values a node popped unvalued; false when it was pruned or went back in the queue. */
      const valueOnPop = async (node: SearchNode, value: () => Promise<void>): Promise<boolean> => {
        const actionValue = node.value;
        await value();
        valued.add(node);
        // Valued twice, before its step (its action's value) and at its state (its own call): average the two.
        if (actionValue !== null && node.value !== null) {
          node.value = (actionValue + node.value) / 2;
          node.data.score = node.value;
        }
        node.h = h(node);
        const f = node.g + node.h;
        node.data.f = f;
        if (node !== context.root && !node.goal && (node.value ?? 1) < pruneBelow) {
          prune(node, 'low-value');
          return false;
        }
        const best = open.peekKey();
        if (best !== undefined && f > best + 1e-9) {
          open.push(node, f);
          return false;
        }
        return true;
      };
      for (let entry = open.pop(); entry !== undefined; entry = open.pop()) {
        const node = entry.node;
        if (node.status === 'pruned') continue;
        if (node.goal) {
          node.data.order = order++;
          return node;
        }
        if (isOpenCommit(node)) {
          // Never taken on an estimate: a commit point is valued (a trap pruned) before it is taken.
          if (deferred && !valued.has(node) && node.value === null && node.parent !== undefined) {
            const parent = node.parent;
            if (!(await valueOnPop(node, async () => void (await context.evaluate(parent, [node]))))) continue;
          }
          node.data.order = order++;
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
        let children: SearchNode[];
        if (deferred) {
          if (!valued.has(node)) {
            const ready = await valueOnPop(node, async () => void proposalsOf.set(node, await context.proposeAndValue(node, branching)));
            if (!ready) continue;
          }
          node.data.order = order++;
          // Expanded again (its first proposals led nowhere new): ask afresh in the same form, so the new
          // proposals carry action values too; the node keeps the value it was ordered by.
          const proposals = proposalsOf.get(node) ?? (await context.proposeAndValue(node, branching, { keepValue: true }));
          proposalsOf.delete(node);
          children = (await context.expand(node, proposals)).filter((child) => child.status !== 'pruned');
        } else {
          node.data.order = order++;
          children = await expandAndScore(context, node, branching);
        }
        let queued = 0;
        for (const child of children) {
          if (!child.commit && !isLive(child)) continue;
          child.stepCost = context.costOf(child.action ?? '') + priorWeight * (1 - (child.prior ?? 0));
          child.g = node.g + child.stepCost;
          // Deferred: the parent's estimate less the step's cost (as if the step made progress) until valued.
          child.h = deferred && child.value === null && !child.goal ? (context.heuristic(child) ?? Math.max(0, (node.h ?? 0) - context.costOf(child.action ?? ''))) : h(child);
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
