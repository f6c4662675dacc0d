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
  const fromProposals = childValues === 'proposal' && context.valuesWhileProposing;
  const proposals = fromProposals ? await context.proposeAndValue(node, k, { keepValue: true }) : await context.propose(node, k);
  const scored = (await context.expand(node, proposals)).filter((child) => child.status !== 'pruned');
  // Children that came with their action's value keep it (judged before they were taken); the others are
  // scored after, together (evaluate makes no call for none).
  await context.evaluate(node, fromProposals ? scored.filter((child) => child.value === null) : scored);
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
