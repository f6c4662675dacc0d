import { quadtree, type Quadtree } from 'd3-quadtree';
import { select, type Selection } from 'd3-selection';
import { zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { Layout, PlacedNode, TreeModel } from './tree-model.js';

export interface TreeCanvasCallbacks {
  onSelect(key: string | null): void;
  /** After a subtree was collapsed or expanded from the canvas (double click, Enter). */
  onToggle?(key: string): void;
}

const SELECTED = '#7c3aed';
const EDGE = '#cbd5e1';
const EDGE_EMPHASIS = '#d97706';
const LABEL = '#0f172a';
const METRIC = '#64748b';
/** Below this zoom, labels would be unreadable: only shapes are drawn. */
const LABEL_ZOOM = 0.55;
/** Below this zoom, nodes are drawn as squares and edges as straight lines. */
const COARSE_ZOOM = 0.3;

/**
 * Draws a laid-out tree on a canvas: pan and zoom with d3-zoom, hit testing with a quadtree, only what is in
 * view is drawn, and frames are coalesced with requestAnimationFrame, so ten thousand nodes stay smooth.
 */
export class TreeCanvas {
  readonly canvas: HTMLCanvasElement;
  readonly #context: CanvasRenderingContext2D;
  readonly #callbacks: TreeCanvasCallbacks;
  readonly #zoom: ZoomBehavior<HTMLCanvasElement, unknown>;
  readonly #selection: Selection<HTMLCanvasElement, unknown, null, undefined>;
  readonly #resize: ResizeObserver;
  #model: TreeModel | undefined;
  #layout: Layout | undefined;
  #index: Quadtree<PlacedNode> | undefined;
  #transform: ZoomTransform = zoomIdentity;
  #selected: string | null = null;
  #frame = 0;
  #width = 0;
  #height = 0;
  /** How long recent frames took to draw, in ms (read by tests and benchmarks). */
  readonly #frameTimes: number[] = [];

  constructor(container: HTMLElement, callbacks: TreeCanvasCallbacks) {
    this.#callbacks = callbacks;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'tree-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'application');
    this.canvas.setAttribute('aria-label', 'Tree: drag to pan, wheel to zoom, click a node to select it, double click to collapse or expand, arrow keys to move');
    container.append(this.canvas);
    const context = this.canvas.getContext('2d', { alpha: false });
    if (context === null) throw new Error('This browser has no 2D canvas');
    this.#context = context;
    this.#zoom = zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([0.002, 4])
      .on('zoom', (event: D3ZoomEvent<HTMLCanvasElement, unknown>) => {
        this.#transform = event.transform;
        this.requestDraw();
      });
    this.#selection = select(this.canvas);
    this.#selection.call(this.#zoom).on('dblclick.zoom', null);
    this.canvas.addEventListener('click', (event) => this.#onClick(event));
    this.canvas.addEventListener('dblclick', (event) => this.#onDoubleClick(event));
    this.canvas.addEventListener('keydown', (event) => this.#onKey(event));
    this.#resize = new ResizeObserver(() => this.#onResize());
    this.#resize.observe(container);
    this.#onResize();
  }

  get transform(): ZoomTransform {
    return this.#transform;
  }

  get layout(): Layout | undefined {
    return this.#layout;
  }

  /** Lays the model out again (after nodes were added, collapsed or expanded) and redraws. */
  setModel(model: TreeModel): void {
    this.#model = model;
    this.#layout = model.layout();
    this.#index = quadtree<PlacedNode>()
      .x((node) => node.x)
      .y((node) => node.y)
      .addAll(this.#layout.nodes);
    this.requestDraw();
  }

  select(key: string | null): void {
    this.#selected = key;
    this.requestDraw();
  }

  /** Centres a node, at `scale` or at a readable zoom. */
  focus(key: string, scale?: number): void {
    const placed = this.#layout?.byKey.get(key);
    if (placed === undefined) return;
    const k = scale ?? Math.max(this.#transform.k, 1);
    this.#selection.call(this.#zoom.transform, zoomIdentity.translate(this.#width / 2 - k * placed.x, this.#height / 2 - k * placed.y).scale(k));
  }

  /**
   * Shows the whole tree, no larger than life. With `minimumScale`, a wide tree is not shrunk below it
   * (labels stay readable) and its start is shown instead.
   */
  fit(minimumScale = 0): void {
    const bounds = this.#layout?.bounds;
    if (bounds === undefined) return;
    const margin = 40;
    const width = bounds.maxX - bounds.minX + 260;
    const height = bounds.maxY - bounds.minY + 40;
    const fitting = Math.min(1, (this.#width - margin) / width, (this.#height - margin) / height);
    const k = Math.max(fitting, Math.min(minimumScale, 1));
    const x = k > fitting ? margin - k * bounds.minX : (this.#width - k * (bounds.minX + bounds.maxX + 220)) / 2;
    const y = (this.#height - k * (bounds.minY + bounds.maxY)) / 2;
    this.#selection.call(this.#zoom.transform, zoomIdentity.translate(x, y).scale(k));
  }

  /** Where a node is on screen (CSS pixels, relative to the canvas), or undefined when not laid out. */
  screenPosition(key: string): { x: number; y: number } | undefined {
    const placed = this.#layout?.byKey.get(key);
    if (placed === undefined) return undefined;
    const [x, y] = this.#transform.apply([placed.x, placed.y]);
    return { x, y };
  }

  requestDraw(): void {
    if (this.#frame !== 0) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.draw();
    });
  }

  destroy(): void {
    cancelAnimationFrame(this.#frame);
    this.#resize.disconnect();
    this.#selection.on('.zoom', null);
    this.canvas.remove();
  }

  /** Draws a frame now. */
  draw(): void {
    const started = performance.now();
    const context = this.#context;
    const ratio = window.devicePixelRatio || 1;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, this.#width, this.#height);
    const layout = this.#layout;
    if (layout === undefined) return;
    const { k, x: tx, y: ty } = this.#transform;
    context.translate(tx, ty);
    context.scale(k, k);
    // The part of the world in view, with room for labels that start left of the screen.
    const view = { minX: -tx / k - 220, maxX: (this.#width - tx) / k + 20, minY: -ty / k - 20, maxY: (this.#height - ty) / k + 20 };
    const inView = (node: PlacedNode) => node.x >= view.minX && node.x <= view.maxX && node.y >= view.minY && node.y <= view.maxY;

    // Zoomed far out, nodes are a few pixels: squares and straight edges look the same and draw faster.
    const coarse = k < COARSE_ZOOM;
    // Edges: one path for ordinary ones, one for emphasised ones.
    const plain = new Path2D();
    const emphasised = new Path2D();
    for (const { source, target } of layout.links) {
      if (Math.max(source.x, target.x) < view.minX || Math.min(source.x, target.x) > view.maxX) continue;
      if (Math.max(source.y, target.y) < view.minY || Math.min(source.y, target.y) > view.maxY) continue;
      const path = target.node.item.emphasis ? emphasised : plain;
      path.moveTo(source.x, source.y);
      if (coarse) path.lineTo(target.x, target.y);
      else {
        const middle = (source.x + target.x) / 2;
        path.bezierCurveTo(middle, source.y, middle, target.y, target.x, target.y);
      }
    }
    context.lineWidth = Math.max(1, 0.8 / k);
    context.strokeStyle = EDGE;
    context.stroke(plain);
    context.lineWidth = Math.max(3, 2 / k);
    context.strokeStyle = EDGE_EMPHASIS;
    context.stroke(emphasised);

    // Nodes: grouped by colour so that each colour is one fill.
    const visible: PlacedNode[] = [];
    for (const node of layout.nodes) if (inView(node)) visible.push(node);
    const minimum = 1.6 / k;
    const groups = new Map<string, Path2D>();
    const rings = new Map<string, Path2D>();
    for (const placed of visible) {
      const { item } = placed.node;
      const radius = Math.max(item.radius, minimum);
      const group = `${item.fill}|${item.faded ? 1 : 0}`;
      let path = groups.get(group);
      if (path === undefined) groups.set(group, (path = new Path2D()));
      if (coarse) path.rect(placed.x - radius, placed.y - radius, radius * 2, radius * 2);
      else {
        path.moveTo(placed.x + radius, placed.y);
        path.arc(placed.x, placed.y, radius, 0, Math.PI * 2);
      }
      if (item.ring !== null && !coarse) {
        let ring = rings.get(item.ring);
        if (ring === undefined) rings.set(item.ring, (ring = new Path2D()));
        ring.moveTo(placed.x + radius + 2.5, placed.y);
        ring.arc(placed.x, placed.y, radius + 2.5, 0, Math.PI * 2);
      }
    }
    for (const [group, path] of groups) {
      const [fill, faded] = group.split('|');
      context.globalAlpha = faded === '1' ? 0.4 : 1;
      context.fillStyle = fill as string;
      context.fill(path);
    }
    context.globalAlpha = 1;
    context.lineWidth = Math.max(1.5, 1 / k);
    for (const [colour, path] of rings) {
      context.strokeStyle = colour;
      context.stroke(path);
    }

    // Collapsed subtrees: a small chevron, and the hidden count when readable.
    const readable = k >= LABEL_ZOOM;
    context.fillStyle = METRIC;
    for (const placed of visible) {
      const node = placed.node;
      if (!node.collapsed || node.children.length === 0) continue;
      const radius = Math.max(node.item.radius, minimum);
      const size = Math.max(4, 3 / k);
      context.beginPath();
      context.moveTo(placed.x + radius + 3, placed.y - size);
      context.lineTo(placed.x + radius + 3 + size * 1.4, placed.y);
      context.lineTo(placed.x + radius + 3, placed.y + size);
      context.fill();
    }

    if (this.#selected !== null) {
      const placed = layout.byKey.get(this.#selected);
      if (placed !== undefined) {
        context.strokeStyle = SELECTED;
        context.lineWidth = Math.max(2.5, 2 / k);
        context.beginPath();
        context.arc(placed.x, placed.y, Math.max(placed.node.item.radius, minimum) + 5 / Math.min(k, 1), 0, Math.PI * 2);
        context.stroke();
      }
    }

    if (readable) {
      context.textBaseline = 'middle';
      for (const placed of visible) {
        const { item } = placed.node;
        const x = placed.x + item.radius + (placed.node.collapsed && placed.node.children.length > 0 ? 14 : 5);
        context.font = '11px system-ui, sans-serif';
        context.fillStyle = item.faded ? METRIC : LABEL;
        const label = placed.node.collapsed && placed.node.children.length > 0 ? `${item.label}  +${placed.node.descendants}` : item.label;
        context.fillText(label, x, placed.y - (item.metric === '' ? 0 : 5));
        if (item.metric !== '') {
          context.font = '9px system-ui, sans-serif';
          context.fillStyle = METRIC;
          context.fillText(item.metric, x, placed.y + 6);
        }
      }
    }
    this.#frameTimes.push(performance.now() - started);
    if (this.#frameTimes.length > 500) this.#frameTimes.shift();
  }

  frameTimes(): number[] {
    return [...this.#frameTimes];
  }

  resetFrameTimes(): void {
    this.#frameTimes.length = 0;
  }

  #nodeAt(event: MouseEvent): PlacedNode | undefined {
    const rect = this.canvas.getBoundingClientRect();
    const [x, y] = this.#transform.invert([event.clientX - rect.left, event.clientY - rect.top]);
    const radius = Math.max(12, 8 / this.#transform.k);
    return this.#index?.find(x, y, radius);
  }

  #onClick(event: MouseEvent): void {
    const placed = this.#nodeAt(event);
    this.canvas.focus({ preventScroll: true });
    this.#selected = placed?.node.item.key ?? null;
    this.requestDraw();
    this.#callbacks.onSelect(this.#selected);
  }

  #onDoubleClick(event: MouseEvent): void {
    const placed = this.#nodeAt(event);
    if (placed === undefined || placed.node.children.length === 0) return;
    this.#toggle(placed.node.item.key);
  }

  #toggle(key: string): void {
    const model = this.#model;
    if (model === undefined) return;
    const before = this.screenPosition(key);
    model.toggle(key);
    this.setModel(model);
    // Keep the toggled node where it was on screen.
    const after = this.screenPosition(key);
    if (before !== undefined && after !== undefined) this.#selection.call(this.#zoom.translateBy, (before.x - after.x) / this.#transform.k, (before.y - after.y) / this.#transform.k);
    this.#callbacks.onToggle?.(key);
  }

  #onKey(event: KeyboardEvent): void {
    const model = this.#model;
    const layout = this.#layout;
    if (model === undefined || layout === undefined) return;
    if (event.key === 'f') {
      this.fit();
      return;
    }
    const current = this.#selected === null ? undefined : model.get(this.#selected);
    if (current === undefined) {
      if (event.key.startsWith('Arrow') && model.roots[0]) this.#move(model.roots[0].item.key);
      return;
    }
    const siblings = current.parent?.children ?? model.roots;
    const index = siblings.indexOf(current);
    let target: string | undefined;
    if (event.key === 'ArrowLeft') target = current.parent?.item.key;
    else if (event.key === 'ArrowRight') {
      if (current.collapsed) this.#toggle(current.item.key);
      target = current.children[0]?.item.key;
    } else if (event.key === 'ArrowUp') target = siblings[index - 1]?.item.key;
    else if (event.key === 'ArrowDown') target = siblings[index + 1]?.item.key;
    else if (event.key === 'Enter' || event.key === ' ') {
      this.#toggle(current.item.key);
      event.preventDefault();
      return;
    } else return;
    event.preventDefault();
    if (target !== undefined) this.#move(target);
  }

  #move(key: string): void {
    this.#selected = key;
    const position = this.screenPosition(key);
    if (position === undefined || position.x < 40 || position.y < 40 || position.x > this.#width - 200 || position.y > this.#height - 40) this.focus(key);
    this.requestDraw();
    this.#callbacks.onSelect(key);
  }

  #onResize(): void {
    const parent = this.canvas.parentElement;
    if (parent === null) return;
    const ratio = window.devicePixelRatio || 1;
    this.#width = parent.clientWidth;
    this.#height = parent.clientHeight;
    this.canvas.width = Math.max(1, Math.floor(this.#width * ratio));
    this.canvas.height = Math.max(1, Math.floor(this.#height * ratio));
    this.canvas.style.width = `${this.#width}px`;
    this.canvas.style.height = `${this.#height}px`;
    this.#zoom.extent([
      [0, 0],
      [this.#width, this.#height],
    ]);
    this.draw();
  }
}
