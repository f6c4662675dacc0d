import type { Planner } from '../planner.js';
import type { SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';
import { DEFAULT_BRANCHING, expandAndScore, isLive, prune } from './shared.js';

export interface BeamOptions {
  /** Nodes kept per depth. Default 3. */
  width?: number;
  /** Proposals per expansion. Default 3. */
  branching?: number;
}

/**
 * Beam search: expand every node of the beam, score each node's children together, keep the `width` best
 * of all of them by value and drop the rest. When the best candidate is an irreversible action, it is
 * committed and the beam restarts from it.
 */
export function beam(options: BeamOptions = {}): Planner {
  const width = options.width ?? 3;
  const branching = options.branching ?? DEFAULT_BRANCHING;
  return {
    name: 'beam',
    options: { width, branching },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      let layer: SearchNode[] = [context.root];
      const seen = new Set<string>();
      const rootKey = context.stateKey(context.root);
      if (rootKey !== undefined) seen.add(rootKey);
      while (layer.length > 0) {
        const pool: SearchNode[] = [];
        for (const node of layer) {
          if (node.depth >= context.maxDepth) {
            prune(node, 'max-depth');
            continue;
          }
          const children = await expandAndScore(context, node, branching);
          for (const child of children) {
            if (child.goal) return child;
            if (!child.commit && !isLive(child)) continue;
            const key = child.commit ? undefined : context.stateKey(child);
            if (key !== undefined) {
              if (seen.has(key)) {
                prune(child, 'duplicate-state');
                continue;
              }
              seen.add(key);
            }
            pool.push(child);
          }
        }
        pool.sort((a, b) => (b.value ?? 0) - (a.value ?? 0) || a.id - b.id);
        const best = pool[0];
        if (best?.commit === true) {
          for (const other of pool.slice(1)) prune(other, 'beam');
          await context.commit(best);
          if (best.stepStatus !== 'ok') {
            layer = pool.slice(1, width + 1).filter((node) => !node.commit);
            for (const node of layer) {
              node.status = 'open';
              delete node.data.reason;
            }
            continue;
          }
          if (best.goal) return best;
          seen.clear();
          layer = [best];
          continue;
        }
        layer = pool.filter((node) => !node.commit).slice(0, width);
        for (const node of pool) if (!layer.includes(node)) prune(node, 'beam');
      }
      return undefined;
    },
  };
}
