import { performance } from 'node:perf_hooks';
import { startInspector } from '../inspector/index.js';
import { launchChromium } from '../inspector/fixtures/browser.js';
import { recordSyntheticSearch } from '../inspector/fixtures/recorded-runs.js';
import { createTempStore } from '../internal/temp-store.js';
import { percentile, type Benchmark } from './benchmark.js';

// Functions handed to page.evaluate run in the browser; these are the browser names they use.
declare const window: { arborTree?: { frameTimes(): number[]; resetFrameTimes(): void } };
declare function requestAnimationFrame(callback: () => void): number;

/**
 * Opening a search tree in the inspector, in headless Chromium: searches of 1,000 and 10,000 nodes (and
 * 50,000 with --full) side by side, each opened in fresh pages. "open" is from navigation start to the
 * first drawn frame with every node loaded; the API figure is the server's share of it. Then every node
 * is expanded and the tree is panned with the mouse, timing each frame.
 */
export const inspectorBenchmark: Benchmark = {
  name: 'inspector',
  description: 'ms to open 1k / 10k-node searches in Chromium (target: 10k under 2 s), and pan frame times',
  async run({ full, log }) {
    const sizes = full ? [1_000, 10_000, 50_000] : [1_000, 10_000];
    const opens = full ? 7 : 5;
    const temp = createTempStore('arbor-bench-inspector-');
    const browser = await launchChromium();
    const inspector = await startInspector({ store: temp.store, port: 0 });
    const results: Record<string, unknown>[] = [];
    try {
      const searches = [];
      for (const size of sizes) searches.push({ size, search: await recordSyntheticSearch(temp.store, { nodes: size, seed: size }) });
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      // One warm-up load so that every size meets the same browser state (assets cached, JIT warm).
      const warm = await context.newPage();
      await warm.goto(`${inspector.url}#/runs/${searches[0]?.search.runId}/search`);
      await warm.waitForSelector('[data-tree-state=ready]');
      await warm.close();
      // Rounds interleave the sizes, so machine noise hits them alike.
      const samples = new Map<number, { open: number[]; api: number[] }>(sizes.map((size) => [size, { open: [], api: [] }]));
      for (let round = 0; round < opens; round++) {
        for (const { size, search } of searches) {
          const page = await context.newPage();
          await page.goto(`${inspector.url}#/runs/${search.runId}/search`);
          await page.waitForSelector('[data-tree-state=ready]', { timeout: 60_000 });
          const timing = await page.evaluate(() => ({
            drawn: performance.getEntriesByName('arbor:search-tree-drawn')[0]?.startTime ?? Number.NaN,
            api: performance.getEntriesByType('resource').find((entry) => entry.name.includes('/search?'))?.duration ?? Number.NaN,
          }));
          samples.get(size)?.open.push(timing.drawn);
          samples.get(size)?.api.push(timing.api);
          await page.close();
        }
      }
      for (const { size, search } of searches) {
        const page = await context.newPage();
        await page.goto(`${inspector.url}#/runs/${search.runId}/search`);
        await page.waitForSelector('[data-tree-state=ready]', { timeout: 60_000 });
        const expandStarted = performance.now();
        await page.getByRole('button', { name: 'Expand all' }).click();
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined))));
        const expandMs = performance.now() - expandStarted;
        await page.evaluate(() => window.arborTree?.resetFrameTimes());
        const box = await page.locator('canvas.tree-canvas').boundingBox();
        if (box === null) throw new Error('no canvas');
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        for (let step = 1; step <= 60; step++) await page.mouse.move(box.x + box.width / 2 - step * 6, box.y + box.height / 2 - step * 4);
        await page.mouse.up();
        for (let step = 0; step < 15; step++) await page.mouse.wheel(0, step < 8 ? -120 : 120);
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined))));
        const frames = await page.evaluate(() => window.arborTree?.frameTimes() ?? []);
        await page.close();
        const sample = samples.get(size) ?? { open: [], api: [] };
        const result = {
          nodes: size,
          openMedianMs: Math.round(percentile(sample.open, 50)),
          openMaxMs: Math.round(Math.max(...sample.open)),
          apiMedianMs: Math.round(percentile(sample.api, 50)),
          expandAllMs: Math.round(expandMs),
          panFrames: frames.length,
          panFrameMedianMs: Math.round(percentile(frames, 50) * 10) / 10,
          panFrameP95Ms: Math.round(percentile(frames, 95) * 10) / 10,
        };
        results.push(result);
        log(
          `${String(size).padStart(6)} nodes: open ${result.openMedianMs} ms median (max ${result.openMaxMs}, API ${result.apiMedianMs} ms) · expand all ${result.expandAllMs} ms · pan frame ${result.panFrameMedianMs} ms median, ${result.panFrameP95Ms} ms p95 over ${result.panFrames} frames`,
        );
      }
      const tenThousand = results.find((result) => result.nodes === 10_000);
      log(`10,000-node search opens in ${String(tenThousand?.openMedianMs)} ms (median of ${opens}): ${Number(tenThousand?.openMedianMs) < 2000 ? 'under' : 'OVER'} the 2 s target`);
      return { opens, results };
    } finally {
      await browser.close();
      await inspector.close();
      await temp.cleanup();
    }
  },
};
