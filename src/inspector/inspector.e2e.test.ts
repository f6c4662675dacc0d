import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempStore } from '../internal/temp-store.js';
import { launchChromium } from './fixtures/browser.js';
import type { PlanResult } from '../planning/index.js';
import { recordOrdersRuns, recordPlannerSearch, recordSyntheticSearch, type OrdersRuns, type SyntheticSearch } from './fixtures/recorded-runs.js';
import { startInspector, type Inspector } from './server.js';

/*
 * The inspector in a real browser: Debian's Chromium driven by playwright-core, against a real server over a
 * real SQLite store filled by the real executor, replay and fork. Screenshots of each view are written to
 * artifacts/inspector/.
 */

// Functions handed to page.evaluate run in the browser; these are the browser names they use.
declare const window: { arborTree?: { screenPosition(key: string): { x: number; y: number } | undefined; frameTimes(): number[]; resetFrameTimes(): void } };
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare function requestAnimationFrame(callback: () => void): number;

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/inspector/', import.meta.url));
const BIG_SEARCH_NODES = 10_000;

let temp: ReturnType<typeof createTempStore>;
let inspector: Inspector;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let runs: OrdersRuns;
let search: SyntheticSearch;
let big: SyntheticSearch;
let small: SyntheticSearch;
let planned: PlanResult;
const pageErrors: string[] = [];

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png` });
}

async function open(hash: string): Promise<void> {
  await page.goto(`${inspector.url}#${hash}`);
}

/** Clicks a node of the tree on screen, where the canvas drew it. */
async function clickNode(key: string): Promise<void> {
  const box = await page.locator('canvas.tree-canvas').boundingBox();
  const position = await page.evaluate((nodeKey) => window.arborTree?.screenPosition(nodeKey), key);
  if (box === null || position === undefined) throw new Error(`node ${key} is not on screen`);
  await page.mouse.click(box.x + position.x, box.y + position.y);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  temp = createTempStore('arbor-inspector-e2e-');
  runs = await recordOrdersRuns(temp.store);
  search = await recordSyntheticSearch(temp.store, { nodes: 150, withSteps: true, seed: 3 });
  big = await recordSyntheticSearch(temp.store, { nodes: BIG_SEARCH_NODES, seed: 11, task: 'Ten thousand node search: book the offsite' });
  small = await recordSyntheticSearch(temp.store, { nodes: BIG_SEARCH_NODES / 10, seed: 12, task: 'Thousand node search: book the offsite' });
  planned = await recordPlannerSearch(temp.store);
  inspector = await startInspector({ store: temp.store, port: 0 });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await inspector?.close();
  await temp?.cleanup();
});

describe('inspector in Chromium', () => {
  it('lists runs, filters them by status, text and date, and sorts them', async () => {
    await open('/');
    const rows = page.locator('table.runs tbody tr');
    const recorded = await temp.store.listRuns();
    expect(recorded).toHaveLength(9);
    await expect.poll(() => rows.count()).toBe(recorded.length);
    await expect.poll(() => page.locator(`tr[data-run-id="${runs.replayDiverged}"]`).innerText()).toContain('diverged at 0');
    await screenshot('runs');

    await page.getByLabel('blocked').check();
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByLabel('blocked').uncheck();
    await page.getByPlaceholder('task, environment or run id').fill('ten thousand');
    await expect.poll(async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-run-id'))).toBe(big.runId);
    await page.getByPlaceholder('task, environment or run id').fill('');
    await page.locator('input[name=until]').fill('2001-01-01');
    await expect.poll(() => page.locator('.empty').innerText()).toContain('No runs match');
    await page.locator('input[name=until]').fill('');

    await page.getByRole('button', { name: 'Steps' }).click();
    const stepCounts = async () => (await page.locator('table.runs tbody tr td:nth-child(6)').allInnerTexts()).map(Number);
    const ascending = recorded.map((run) => run.stepCount).sort((a, b) => a - b);
    await expect.poll(stepCounts).toEqual([...ascending].reverse());
    await page.getByRole('button', { name: /Steps/ }).click();
    await expect.poll(stepCounts).toEqual(ascending);
  });

  it('opens a search tree, shows a node with its arguments, observation, scores and model call, and copies the fork command', async () => {
    await open('/');
    await page.locator(`tr[data-run-id="${search.runId}"] a`).click();
    await page.waitForSelector('[data-tree-state=ready]');
    await expect.poll(() => page.getByTestId('node-count').innerText()).toBe('150 nodes');
    await screenshot('search-tree');

    // Find a node on the chosen path by id, then click it where the canvas drew it.
    const nodeId = search.nodeWithModelCall as number;
    await page.getByLabel('Find a node by id or action').fill(`#${nodeId}`);
    await page.getByRole('button', { name: 'Find' }).click();
    await clickNode('0');
    await expect.poll(() => page.locator('aside.detail h2').first().innerText()).toContain('Node #0');
    await clickNode(String(nodeId));
    const detail = page.locator('aside[aria-label="Search node detail"]');
    const node = search.nodes[nodeId];
    await expect.poll(() => detail.locator('h2').first().innerText()).toContain(`Node #${nodeId}: ${node?.action}`);
    await expect.poll(() => detail.innerText()).toContain('chosen');
    await expect.poll(() => detail.locator('pre[aria-label="step input"]').innerText()).toContain('"trip": "LIS-2026-03"');
    await expect.poll(() => detail.locator('pre[aria-label="step output"]').innerText()).toContain('"priceEur"');
    await expect.poll(() => detail.locator('table.scores').innerText()).toContain(String(node?.g));
    await expect.poll(() => detail.locator('.model-call').innerText()).toContain('You plan tool calls for a travel agent');
    await expect.poll(() => detail.locator('.model-call').innerText()).toContain('cheapest option that keeps the budget');
    await expect.poll(() => page.url()).toContain(`/search/${nodeId}`);
    await screenshot('search-node');

    const forkCommand = detail.locator('.command code', { hasText: ' fork ' });
    const command = await forkCommand.innerText();
    expect(command).toMatch(new RegExp(`^arbor fork ${search.runId} --at \\d+ --input '\\{.*"trip":"LIS-2026-03".*\\}'$`));
    await detail.locator('.command', { hasText: ' fork ' }).getByRole('button', { name: 'Copy' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(command);

    // A failed node shows its error; keyboard navigation moves to its parent.
    const failed = search.nodes.find((candidate) => candidate.status === 'failed' && candidate.stepId !== null);
    await page.getByLabel('Find a node by id or action').fill(`#${failed?.nodeId}`);
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => detail.innerText()).toContain('ARBOR_ACTION_FAILED');
    await page.locator('canvas.tree-canvas').focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => detail.locator('h2').first().innerText()).toContain(`Node #${failed?.parentId}:`);
  });

  it('opens the search a real planner recorded (A* on the warehouse domain) and follows its chosen path', async () => {
    const recorded = await temp.store.listSearchNodes(planned.runId);
    expect(planned.status).toBe('succeeded');
    await open('/');
    await page.locator(`tr[data-run-id="${planned.runId}"] a`).click();
    await page.waitForSelector('[data-tree-state=ready]');
    await expect.poll(() => page.getByTestId('node-count').innerText()).toBe(`${recorded.length} nodes`);
    expect(await page.locator('.tree-status').innerText()).toContain('terminal 1');
    await page.getByRole('button', { name: 'Chosen path' }).click();
    const goal = planned.plan.at(-1);
    const leaf = recorded.find((node) => node.data.chosen === true && node.status === 'terminal');
    expect(leaf).toBeDefined();
    const detail = page.locator('aside[aria-label="Search node detail"]');
    await expect.poll(() => detail.locator('h2').first().innerText()).toContain(`Node #${leaf?.nodeId}: ${goal?.action}`);
    expect(await detail.locator('.breadcrumb button').count()).toBe(planned.plan.length + 1);
    await clickNode(String(leaf?.parentId));
    await expect.poll(() => detail.locator('h2').first().innerText()).toContain(`Node #${leaf?.parentId}:`);
    await expect.poll(() => detail.locator('table.scores').innerText()).toMatch(/f = g \+ h\s+[\d.]+ \(g=/);
    // The planner's policy log says what the policy proposed at the parent and how it valued the node: A*
    // defers evaluation with this policy, so the node was valued in the call that proposed from it.
    await expect.poll(() => detail.locator('.policy-call summary').allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringMatching(/proposeAndValue at the parent/), expect.stringMatching(/proposeAndValue at this node/)]),
    );
    await screenshot('planner-search');
  });

  it('draws the provenance DAG with forks and replays as branches, and shows a step', async () => {
    await open(`/runs/${runs.succeeded}/provenance`);
    await page.waitForSelector('[data-tree-state=ready]');
    await expect.poll(() => page.locator('.tree-status').innerText()).toContain('4 runs in this family');
    await clickNode(`${runs.forked}:4`);
    const detail = page.locator('aside[aria-label="Step detail"]');
    await expect.poll(() => detail.locator('h2').innerText()).toContain('Step 4: reserve_stock');
    await expect.poll(() => detail.innerText()).toContain('ord-1002');
    await expect.poll(() => detail.locator('.lineage li').count()).toBe(5);
    await screenshot('provenance');
  });

  it('compares two runs side by side from the runs list', async () => {
    await open('/');
    await page.getByLabel(`Select run ${runs.succeeded} to compare`).check();
    await page.getByLabel(`Select run ${runs.forked} to compare`).check();
    await page.getByRole('button', { name: 'Compare 2/2' }).click();
    await expect.poll(() => page.locator('.diff-summary').innerText()).toContain('First difference at step 4');
    const changed = page.locator('tr[data-seq="4"]');
    await expect.poll(() => changed.getAttribute('data-kind')).toBe('changed');
    expect(await changed.innerText()).toContain('ord-1002');
    expect(await page.locator('tr[data-seq="0"]').innerText()).toContain('shared');
    await expect.poll(() => page.locator('tr.diff-open').innerText()).toContain('"orderId": "ord-1002"');
    await screenshot('diff');
  });

  it('shows where a verify replay diverged', async () => {
    await open(`/runs/${runs.replayDiverged}`);
    await expect.poll(() => page.locator('.divergence').innerText()).toContain('Verify diverged at step 0 (get_order)');
    await expect.poll(() => page.locator('tr.diverged').getAttribute('data-seq')).toBe('0');
    expect(await page.locator('tr.diverged').innerText()).toContain('diverged here');
    // The replay saw the order reserved by the shopper: the differing field is named with both values.
    await expect.poll(() => page.locator('table.differences').innerText()).toMatch(/output\.status\s+"new"\s+→ "reserved"/);
    await screenshot('replay');
    await open(`/runs/${runs.succeeded}/replays`);
    await expect.poll(() => page.locator('table.grid tbody tr').count()).toBe(2);
  });

  it(`opens a ${BIG_SEARCH_NODES.toLocaleString()}-node search as fast as a tenth of it allows, and pans it smoothly`, async () => {
    // Fresh page loads of the 10,000-node search and of a 1,000-node one, interleaved so that machine noise
    // hits both alike. The 2 s target is checked by the benchmark; here the 10,000-node open must stay
    // within a small multiple of the 1,000-node one (a layout or loading cost that grows faster than the
    // tree would break it) and its figures are kept in artifacts/inspector/timings.json.
    const openOnce = async (search: SyntheticSearch, keep: boolean) => {
      const fresh = await context.newPage();
      await fresh.goto(`${inspector.url}#/runs/${search.runId}/search`);
      await fresh.waitForSelector('[data-tree-state=ready]', { timeout: 30_000 });
      const drawnAt = await fresh.evaluate(() => performance.getEntriesByName('arbor:search-tree-drawn')[0]?.startTime ?? Number.NaN);
      expect(await fresh.getByTestId('node-count').innerText()).toBe(`${search.nodes.length.toLocaleString()} nodes`);
      if (keep) page = fresh;
      else await fresh.close();
      return Math.round(drawnAt);
    };
    const opens: number[] = [];
    const baseline: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      baseline.push(await openOnce(small, false));
      opens.push(await openOnce(big, attempt === 2));
    }
    console.log(`search open, ms from navigation start: ${BIG_SEARCH_NODES} nodes ${opens.join(', ')}; ${BIG_SEARCH_NODES / 10} nodes ${baseline.join(', ')}`);
    await screenshot('search-10k');

    // Everything expanded: lay out and draw all ten thousand nodes, then pan with the mouse.
    const expandStarted = performance.now();
    await page.getByRole('button', { name: 'Expand all' }).click();
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined))));
    const expandMs = Math.round(performance.now() - expandStarted);
    await screenshot('search-10k-expanded');
    await page.evaluate(() => window.arborTree?.resetFrameTimes());
    const box = await page.locator('canvas.tree-canvas').boundingBox();
    if (box === null) throw new Error('no canvas');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let step = 1; step <= 30; step++) await page.mouse.move(box.x + box.width / 2 - step * 8, box.y + box.height / 2 - step * 5);
    await page.mouse.up();
    for (let step = 0; step < 10; step++) await page.mouse.wheel(0, -120);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined))));
    const frames = await page.evaluate(() => window.arborTree?.frameTimes() ?? []);
    const sorted = [...frames].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    const timings = { nodes: BIG_SEARCH_NODES, openMs: opens, bestOpenMs: Math.min(...opens), baselineNodes: BIG_SEARCH_NODES / 10, baselineOpenMs: baseline, expandAllMs: expandMs, panFrames: frames.length, panFrameMedianMs: Math.round(median * 10) / 10, panFrameMaxMs: Math.round((sorted.at(-1) ?? 0) * 10) / 10 };
    writeFileSync(`${ARTIFACTS}timings.json`, `${JSON.stringify(timings, null, 2)}\n`);
    console.log('10k search timings', timings);

    expect(Math.min(...opens)).toBeLessThan(3 * Math.min(...baseline));
    expect(frames.length).toBeGreaterThan(10);
    // Smooth enough to follow the mouse: half the frames of a pan over 10,000 drawn nodes within 50 ms.
    expect(median).toBeLessThan(50);
  });

  it('raised no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
