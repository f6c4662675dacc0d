import type { JsonValue } from '../../internal/json.js';
import type { Planner } from '../planner.js';
import type { PlanSample } from '../policy.js';
import { actionKey, type SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';
import { isOpenCommit } from './shared.js';

export interface TreePlannerOptions {
  /** Plans sampled (in one call, once per task). Default 8. */
  samples?: number;
}

/** A node of the action trie: the plans that share a prefix share a path. */
interface TrieNode {
  action: string;
  input: JsonValue;
  /** How many sampled plans pass through this node. */
  count: number;
  children: Map<string, TrieNode>;
}

/** Merges sampled plans into an action trie (plans with a common prefix share it). */
export function buildActionTrie(plans: readonly PlanSample[]): TrieNode {
  const root: TrieNode = { action: '', input: null, count: plans.length, children: new Map() };
  for (const plan of plans) {
    let node = root;
    for (const step of plan.steps) {
      const key = actionKey(step.action, step.input);
      let next = node.children.get(key);
      if (next === undefined) {
        next = { action: step.action, input: step.input, count: 0, children: new Map() };
        node.children.set(key, next);
      }
      next.count++;
      node = next;
    }
  }
  return root;
}

/**
 * Tree-Planner: sample whole plans once (one call), merge them into an action trie, then walk it in the
 * environment. Where the trie branches, every branch is executed and the policy chooses among the grounded
 * results in one call; where it does not, no call is made. A failed step, or a branch that runs out
 * without reaching the goal, backtracks to the last decision with untried branches. Irreversible steps
 * are commits: they are taken for real, and no backtracking crosses them.
 */
export function treePlanner(options: TreePlannerOptions = {}): Planner {
  const samples = options.samples ?? 8;
  return {
    name: 'tree-planner',
    options: { samples },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      const plans = await context.samplePlans(context.root, samples);
      const trie = buildActionTrie(plans);
      context.root.data.plansSampled = plans.length;
      // Decision points still holding untried branches, innermost last.
      const stack: { node: SearchNode; trie: TrieNode; options: { child: SearchNode; trie: TrieNode }[] }[] = [];

      const branch = async (node: SearchNode, at: TrieNode): Promise<{ child: SearchNode; trie: TrieNode }[]> => {
        const edges = [...at.children.values()];
        if (edges.length === 0 || node.depth >= context.maxDepth) return [];
        const created = await context.expand(
          node,
          edges.map((edge) => ({ action: edge.action, input: edge.input, probability: edge.count / Math.max(1, at.count) })),
        );
        const byKey = new Map(edges.map((edge) => [actionKey(edge.action, edge.input), edge]));
        const options = created
          .filter((child) => child.status !== 'pruned' && (child.commit || child.stepStatus === 'ok'))
          .map((child) => ({ child, trie: byKey.get(actionKey(child.action ?? '', child.input)) as TrieNode }));
        for (const option of options) option.child.data.plans = option.trie.count;
        if (options.length > 1) {
          // A grounded decision: the policy sees what each branch did and scores them together.
          await context.evaluate(node, options.map((option) => option.child));
          node.data.decision = true;
        }
        // Best first: the policy's value, then how many plans agree.
        return options.sort((a, b) => (b.child.value ?? 0) - (a.child.value ?? 0) || b.trie.count - a.trie.count || a.child.id - b.child.id);
      };

      let node = context.root;
      let at = trie;
      for (;;) {
        if (node.goal) return node;
        const options = await branch(node, at);
        if (options.length > 0) stack.push({ node, trie: at, options });
        // Take the best untried branch here, or backtrack to the innermost decision that has one.
        let next: { child: SearchNode; trie: TrieNode } | undefined;
        while (next === undefined) {
          const top = stack[stack.length - 1];
          if (top === undefined) return undefined;
          next = top.options.shift();
          if (next === undefined) {
            stack.pop();
            continue;
          }
          if (isOpenCommit(next.child)) {
            await context.commit(next.child);
            if (next.child.stepStatus !== 'ok') {
              next = undefined;
              continue;
            }
            // What lies before a commit can no longer be revisited.
            stack.length = 0;
          }
        }
        next.child.data.taken = true;
        node = next.child;
        at = next.trie;
      }
    },
  };
}
