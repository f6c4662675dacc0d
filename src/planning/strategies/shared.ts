import TinyQueue from 'tinyqueue';
import type { SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';

/** Proposals per expansion when a strategy is not told otherwise. */
export const DEFAULT_BRANCHING = 3;

/**
 * The usual expansion: one policy call proposes k actions, they are executed (or kept as commit points),
 * and one more call scores all the children together, after they were executed. With `childValues:
 * 'proposal'` and a policy that can, the children's values come from the proposing call instead (one call).
 * Returns the children that can be scored.
 */
export async function expandAndScore(context: SearchContext, node: SearchNode, k: number, childValues: 'evaluate' | 'proposal' = 'evaluate'): Promise<SearchNode[]> {
  if (childValues === 'proposal' && context.valuesWhileProposing) {
    // One call: the children keep the values their proposals came with (judged before they were taken);
    // only those that came without one are scored after, together.
    const created = await context.expand(node, await context.proposeAndValue(node, k, { keepValue: true }));
    const scored = created.filter((child) => child.status !== 'pruned');
    await context.evaluate(node, scored.filter((child) => child.value === null));
    return scored;
  }
  const proposals = await context.propose(node, k);
  const created = await context.expand(node, proposals);
  const scored = created.filter((child) => child.status !== 'pruned');
  await context.evaluate(node, scored);
  return scored;
}

/** An irreversible action not taken yet: scored, never executed speculatively. */
export function isOpenCommit(node: SearchNode): boolean {
  return node.commit && node.stepId === null;
}

/** Whether a node can be stood on and expanded: executed successfully (or the root, or a taken commit). */
export function isLive(node: SearchNode): boolean {
  return !isOpenCommit(node) && node.stepStatus === 'ok' && node.status !== 'pruned';
}

export function prune(node: SearchNode, reason: string): void {
  if (node.status === 'open') node.status = 'pruned';
  node.data.reason = reason;
}

/** A priority queue of nodes, smallest key first, ties broken by node id (creation order). */
export class NodeQueue {
  readonly #queue = new TinyQueue<{ key: number; node: SearchNode }>([], (a, b) => a.key - b.key || a.node.id - b.node.id);

  get size(): number {
    return this.#queue.length;
  }

  push(node: SearchNode, key: number): void {
    this.#queue.push({ key, node });
  }

  pop(): { key: number; node: SearchNode } | undefined {
    return this.#queue.pop();
  }

  /** The smallest key queued (undefined when empty). */
  peekKey(): number | undefined {
    return this.#queue.peek()?.key;
  }

  clear(): void {
    this.#queue.data.length = 0;
    this.#queue.length = 0;
  }
}
