import type { RefObject } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { LegendEntry } from './palette.js';
import { TreeCanvas, type TreeCanvasCallbacks } from './tree-canvas.js';

declare global {
  interface Window {
    /** The tree on screen, for tests and benchmarks (frame times, node positions). */
    arborTree?: TreeCanvas;
  }
}

export function Legend({ entries }: { entries: LegendEntry[] }) {
  return (
    <ul class="legend" aria-label="Legend">
      {entries.map((entry) => (
        <li key={entry.label}>
          {entry.edge && !entry.fill && !entry.ring ? (
            <span class="legend-edge" style={{ background: entry.edge }} />
          ) : (
            <span
              class="legend-dot"
              style={{ background: entry.fill ?? 'transparent', opacity: entry.faded ? 0.4 : 1, boxShadow: entry.ring ? `0 0 0 2px ${entry.ring}` : undefined }}
            />
          )}
          {entry.label}
        </li>
      ))}
    </ul>
  );
}

/**
 * Creates a canvas tree in `box` once it is mounted. The callbacks may change from render to render; the
 * latest ones are called.
 */
export function useTreeCanvas(box: RefObject<HTMLDivElement>, callbacks: TreeCanvasCallbacks): TreeCanvas | undefined {
  const latest = useRef(callbacks);
  latest.current = callbacks;
  const [canvas, setCanvas] = useState<TreeCanvas>();
  // A layout effect: the canvas exists before the first paint, so loading can start a frame earlier.
  useLayoutEffect(() => {
    if (box.current === null) return;
    const created = new TreeCanvas(box.current, {
      onSelect: (key) => latest.current.onSelect(key),
      onToggle: (key) => latest.current.onToggle?.(key),
    });
    window.arborTree = created;
    setCanvas(created);
    return () => {
      if (window.arborTree === created) window.arborTree = undefined;
      created.destroy();
    };
  }, []);
  return canvas;
}
