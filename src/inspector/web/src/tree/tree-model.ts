import { hierarchy, tree } from 'd3-hierarchy';

/** One node to draw, whatever it stands for (a search node, a recorded step, a run). */
export interface TreeItem {
  key: string;
  parentKey: string | null;
  /** Drawn beside the node when zoomed in, such as "#12 reserve_stock". */
  label: string;
  /** A second, dimmer text: "f=5 (g=3 + h=2)", "v=0.62 n=14"... */
  metric: string;
  fill: string;
  /** An outline: the chosen path, an irreversible action. */
  ring: string | null;
  /** The edge into this node is drawn thick (the chosen path, the divergent step). */
  emphasis: boolean;
  /** Drawn pale (pruned branches). */
  faded: boolean;
  radius: number;
}

export interface ModelNode {
  item: TreeItem;
  parent: ModelNode | null;
  children: ModelNode[];
  collapsed: boolean;
  depth: number;
  /** Number of nodes below this one (loaded ones), kept up to date by `layout()`. */
  descendants: number;
}

export interface PlacedNode {
  node: ModelNode;
  /** World coordinates: x grows with depth (left to right), y across siblings. */
  x: number;
  y: number;
}

export interface Layout {
  nodes: PlacedNode[];
  links: { source: PlacedNode; target: PlacedNode }[];
  byKey: Map<string, PlacedNode>;
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
}

export const ROW_HEIGHT = 22;
export const COLUMN_WIDTH = 200;

/**
 * The loaded part of a tree and which subtrees are collapsed. Items may arrive in pages, children before
 * their parent: such items wait until the parent arrives. Layout uses d3-hierarchy's tidy tree
 * (Reingold-Tilford, linear time), over expanded nodes only.
 */
export class TreeModel {
  readonly #nodes = new Map<string, ModelNode>();
  readonly #waiting = new Map<string, TreeItem[]>();
  readonly roots: ModelNode[] = [];

  get size(): number {
    return this.#nodes.size;
  }

  get(key: string): ModelNode | undefined {
    return this.#nodes.get(key);
  }

  /** Adds items (already known keys update their look); returns how many were new. */
  add(items: readonly TreeItem[]): number {
    let added = 0;
    const place = (item: TreeItem) => {
      const existing = this.#nodes.get(item.key);
      if (existing !== undefined) {
        existing.item = item;
        return;
      }
      const parent = item.parentKey === null ? null : this.#nodes.get(item.parentKey);
      if (item.parentKey !== null && parent === undefined) {
        this.#waiting.set(item.parentKey, [...(this.#waiting.get(item.parentKey) ?? []), item]);
        return;
      }
      const node: ModelNode = { item, parent: parent ?? null, children: [], collapsed: false, depth: parent ? parent.depth + 1 : 0, descendants: 0 };
      this.#nodes.set(item.key, node);
      added++;
      if (parent) parent.children.push(node);
      else this.roots.push(node);
      const waiting = this.#waiting.get(item.key);
      if (waiting !== undefined) {
        this.#waiting.delete(item.key);
        for (const child of waiting) place(child);
      }
    };
    for (const item of items) place(item);
    return added;
  }

  setCollapsed(key: string, collapsed: boolean): void {
    const node = this.#nodes.get(key);
    if (node !== undefined && node.children.length > 0) node.collapsed = collapsed;
  }

  toggle(key: string): void {
    const node = this.#nodes.get(key);
    if (node !== undefined) this.setCollapsed(key, !node.collapsed);
  }

  expandAll(): void {
    for (const node of this.#nodes.values()) node.collapsed = false;
  }

  /** Collapses every subtree except along the given paths; the first `depth` levels stay open. */
  collapseExcept(keep: ReadonlySet<string>, depth: number): void {
    for (const node of this.#nodes.values()) {
      node.collapsed = node.children.length > 0 && !keep.has(node.item.key) && node.depth >= depth;
    }
  }

  /** Expands the ancestors of a node so that it is visible. */
  reveal(key: string): void {
    for (let node = this.#nodes.get(key)?.parent; node; node = node.parent) node.collapsed = false;
  }

  /** Keys from the root down to `key`. */
  pathTo(key: string): string[] {
    const path: string[] = [];
    for (let node = this.#nodes.get(key); node; node = node.parent ?? undefined) path.push(node.item.key);
    return path.reverse();
  }

  find(predicate: (item: TreeItem) => boolean): ModelNode | undefined {
    for (const node of this.#nodes.values()) if (predicate(node.item)) return node;
    return undefined;
  }

  layout(): Layout {
    countDescendants(this.roots);
    // Several roots hang from one invisible root so that they are laid out together.
    const top: ModelNode = { item: { key: '\u0000root', parentKey: null, label: '', metric: '', fill: '', ring: null, emphasis: false, faded: false, radius: 0 }, parent: null, children: this.roots, collapsed: false, depth: -1, descendants: 0 };
    const root = hierarchy(top, (node) => (node.collapsed ? null : node.children));
    const laidOut = tree<ModelNode>()
      .nodeSize([ROW_HEIGHT, COLUMN_WIDTH])
      .separation((a, b) => (a.parent === b.parent ? 1 : 1.25))(root);
    const nodes: PlacedNode[] = [];
    const links: Layout['links'] = [];
    const byKey = new Map<string, PlacedNode>();
    const bounds = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
    laidOut.each((point) => {
      if (point.data === top) return;
      const placed: PlacedNode = { node: point.data, x: point.y - COLUMN_WIDTH, y: point.x };
      nodes.push(placed);
      byKey.set(point.data.item.key, placed);
      bounds.minX = Math.min(bounds.minX, placed.x);
      bounds.maxX = Math.max(bounds.maxX, placed.x);
      bounds.minY = Math.min(bounds.minY, placed.y);
      bounds.maxY = Math.max(bounds.maxY, placed.y);
    });
    for (const placed of nodes) {
      const parent = placed.node.parent === null ? undefined : byKey.get(placed.node.parent.item.key);
      if (parent !== undefined) links.push({ source: parent, target: placed });
    }
    if (nodes.length === 0) Object.assign(bounds, { minX: 0, minY: 0, maxX: 0, maxY: 0 });
    return { nodes, links, byKey, bounds };
  }
}

function countDescendants(roots: ModelNode[]): void {
  // Iterative post-order: deep trees must not overflow the stack.
  const order: ModelNode[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop() as ModelNode;
    order.push(node);
    for (const child of node.children) stack.push(child);
  }
  for (let index = order.length - 1; index >= 0; index--) {
    const node = order[index] as ModelNode;
    node.descendants = node.children.reduce((sum, child) => sum + 1 + child.descendants, 0);
  }
}
