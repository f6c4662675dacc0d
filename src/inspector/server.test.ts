import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArborError } from '../errors/index.js';
import { createTempStore } from '../internal/temp-store.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import type { DiffView, FamilyView, RunDetail, RunsPage, SearchNodeDetail, SearchPage, SearchPageWire, StepDetail, StepSummaryView } from './api-types.js';
import { decodeSearchPage } from './search-columns.js';
import { AssetTable } from './assets.js';
import { createInspectorApp } from './app.js';
import { recordOrdersRuns, recordSyntheticSearch, type OrdersRuns, type SyntheticSearch } from './fixtures/recorded-runs.js';
import { isLoopbackAddress, isLoopbackHost } from './loopback.js';
import { startInspector, type Inspector } from './server.js';

const SECRET = 'arbor-inspector-secret-5f1c2e';

let temp: ReturnType<typeof createTempStore>;
let store: SqliteStore;
let inspector: Inspector;
let assetsDir: string;
let runs: OrdersRuns;
let search: SyntheticSearch;

/** A raw HTTP request, path sent exactly as given (fetch would normalise `..` away). */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: inspector.port, path, method: 'GET', headers: { host: `127.0.0.1:${inspector.port}`, ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function searchPage(path: string): Promise<SearchPage> {
  return decodeSearchPage(await api<SearchPageWire>(path));
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(new URL(`api${path}`, inspector.url));
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

beforeAll(async () => {
  temp = createTempStore('arbor-inspector-');
  store = temp.store;
  runs = await recordOrdersRuns(store);
  search = await recordSyntheticSearch(store, { nodes: 120, withSteps: true, seed: 3 });

  // A small assets directory with a secret beside it and links that try to reach it.
  assetsDir = join(temp.dir, 'web');
  mkdirSync(join(assetsDir, 'assets'), { recursive: true });
  writeFileSync(join(assetsDir, 'index.html'), '<!doctype html><title>inspector</title>');
  writeFileSync(join(assetsDir, 'assets', 'app-1234.js'), 'console.log("app")');
  writeFileSync(join(temp.dir, 'secret.txt'), SECRET);
  mkdirSync(join(temp.dir, 'outside'));
  writeFileSync(join(temp.dir, 'outside', 'more.txt'), SECRET);
  symlinkSync(join(temp.dir, 'secret.txt'), join(assetsDir, 'assets', 'leak.txt'));
  symlinkSync(join(temp.dir, 'outside'), join(assetsDir, 'linked-dir'));
  symlinkSync(join(assetsDir, 'assets', 'app-1234.js'), join(assetsDir, 'alias.js'));
  inspector = await startInspector({ store, port: 0, assetsDir, commandPrefix: 'arbor --store /tmp/my.db' });
});

afterAll(async () => {
  await inspector?.close();
  await temp?.cleanup();
});

describe('loopback checks', () => {
  it('accepts loopback peers only, including IPv4-mapped IPv6 ones', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1', '203.0.113.9', 'fe80::1', '', undefined, 'localhost']) expect(isLoopbackAddress(address), String(address)).toBe(false);
  });

  it('accepts loopback Host headers only, so DNS rebinding is refused', () => {
    for (const host of ['localhost', 'localhost:4680', '127.0.0.1', '127.0.0.1:80', '[::1]:4680', 'LOCALHOST:1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['evil.example', 'evil.example:4680', '127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.1', '[fe80::1]', '', undefined, 'localhost:4680/x']) {
      expect(isLoopbackHost(host), String(host)).toBe(false);
    }
  });
});

describe('inspector server security', () => {
  it('listens on 127.0.0.1 and refuses to listen on anything but loopback', async () => {
    expect(inspector.host).toBe('127.0.0.1');
    expect(inspector.url).toBe(`http://127.0.0.1:${inspector.port}/`);
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      await expect(startInspector({ store, port: 0, host, assetsDir })).rejects.toMatchObject({ code: 'ARBOR_USAGE' });
    }
  });

  it('says which port is taken, with what to do', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await startInspector({ store, port, assetsDir }).catch((thrown: unknown) => thrown);
      expect(ArborError.isInstance(error) && error.code).toBe('ARBOR_PORT_IN_USE');
      expect((error as ArborError).hint).toContain('--port 0');
    } finally {
      blocker.close();
    }
  });

  it('refuses requests whose Host header is not a loopback name (DNS rebinding)', async () => {
    const response = await raw('/api/runs', { host: 'attacker.example' });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'ARBOR_INSPECTOR_HOST_REFUSED' } });
    const page = await raw('/', { host: `attacker.example:${inspector.port}` });
    expect(page.status).toBe(403);
    expect((await raw('/api/runs', { host: `localhost:${inspector.port}` })).status).toBe(200);
  });

  it('refuses cross-origin requests from other sites', async () => {
    const response = await raw('/api/runs', { origin: 'https://attacker.example' });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'ARBOR_INSPECTOR_ORIGIN_REFUSED' } });
    expect((await raw('/api/runs', { origin: `http://127.0.0.1:${inspector.port}` })).status).toBe(200);
  });

  it('refuses peers that are not on this machine, and peers it cannot identify', async () => {
    const app = createInspectorApp({ store, assets: AssetTable.load(assetsDir) });
    const headers = { host: '127.0.0.1:4680' };
    const remote = await app.request('/api/runs', { headers }, { incoming: { socket: { remoteAddress: '203.0.113.7' } } } as never);
    expect(remote.status).toBe(403);
    expect(await remote.json()).toMatchObject({ error: { code: 'ARBOR_INSPECTOR_REMOTE_REFUSED' } });
    const mapped = await app.request('/', { headers }, { incoming: { socket: { remoteAddress: '::ffff:192.168.0.4' } } } as never);
    expect(mapped.status).toBe(403);
    expect((await app.request('/api/runs', { headers })).status).toBe(403);
    const local = await app.request('/api/runs', { headers }, { incoming: { socket: { remoteAddress: '::ffff:127.0.0.1' } } } as never);
    expect(local.status).toBe(200);
  });

  it('serves its assets with a strict content security policy', async () => {
    const index = await raw('/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>inspector</title>');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const script = await raw('/assets/app-1234.js');
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.headers['cache-control']).toContain('immutable');
    // A link that stays inside the assets directory is served.
    expect((await raw('/alias.js')).body).toBe('console.log("app")');
  });

  it('never serves a file outside its assets directory, however the path is written', async () => {
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/%252e%252e/secret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      '/assets/leak.txt',
      '/linked-dir/more.txt',
      '/%2e%2e/outside/more.txt',
      `/${encodeURIComponent(join(temp.dir, 'secret.txt'))}`,
      `//${join(temp.dir, 'secret.txt')}`,
      '/index.html%00.js',
      '/%c0%ae%c0%ae/secret.txt',
      '/assets/%',
    ];
    for (const path of attempts) {
      const response = await raw(path);
      expect(response.body, path).not.toContain(SECRET);
      expect([400, 404], `${path} answered ${response.status}`).toContain(response.status);
    }
  });

  it('only answers GET and HEAD outside the API', async () => {
    const response = await fetch(inspector.url, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
  });

  it('says clearly when the web UI was not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'arbor-no-ui-'));
    try {
      await expect(startInspector({ store, port: 0, assetsDir: empty })).rejects.toMatchObject({ code: 'ARBOR_INSPECTOR_ASSETS_MISSING', hint: expect.stringContaining('npm run build') });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('inspector JSON API', () => {
  it('lists runs newest first, with kinds, replays and search trees marked', async () => {
    const page = await api<RunsPage>('/runs');
    expect(page.runs.map((run) => run.id)).toEqual([search.runId, runs.replayDiverged, runs.replayOk, runs.forked, runs.blocked, runs.succeeded]);
    const byId = new Map(page.runs.map((run) => [run.id, run]));
    expect(byId.get(runs.forked)).toMatchObject({ kind: 'fork', parentRunId: runs.succeeded, forkSeq: 4, status: 'blocked' });
    expect(byId.get(runs.replayDiverged)).toMatchObject({ kind: 'replay', replayOf: runs.succeeded, status: 'failed', divergence: { seq: 0, action: 'get_order' } });
    expect(byId.get(runs.replayOk)).toMatchObject({ kind: 'replay', divergence: null, status: 'succeeded' });
    expect(byId.get(search.runId)).toMatchObject({ hasSearch: true });
    expect(byId.get(runs.succeeded)).toMatchObject({ hasSearch: false, stepCount: 9 });
  });

  it('filters runs by status, text and date, sorts them and pages through them', async () => {
    expect((await api<RunsPage>('/runs?status=blocked')).runs.map((run) => run.id).sort()).toEqual([runs.blocked, runs.forked].sort());
    expect((await api<RunsPage>('/runs?status=failed,succeeded')).runs).toHaveLength(4);
    expect((await api<RunsPage>('/runs?q=lisbon')).runs.map((run) => run.id)).toEqual([search.runId]);
    const tomorrow = Date.now() + 86_400_000;
    expect((await api<RunsPage>(`/runs?since=${tomorrow}`)).runs).toEqual([]);
    expect((await api<RunsPage>('/runs?until=2000-01-01')).runs).toEqual([]);
    const bySteps = await api<RunsPage>('/runs?sort=steps&order=asc');
    const counts = bySteps.runs.map((run) => run.stepCount);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const first = await api<RunsPage>('/runs?limit=4');
    const second = await api<RunsPage>('/runs?limit=4&offset=4');
    expect(first.hasMore).toBe(true);
    expect(second.hasMore).toBe(false);
    expect([...first.runs, ...second.runs]).toHaveLength(6);
  });

  it('answers bad queries with a typed error and a hint', async () => {
    const badStatus = await fetch(new URL('api/runs?status=done', inspector.url));
    expect(badStatus.status).toBe(400);
    expect(await badStatus.json()).toMatchObject({ error: { code: 'ARBOR_USAGE', message: expect.stringContaining('"done"'), hint: expect.stringContaining('succeeded') } });
    const missing = await fetch(new URL('api/runs/NOSUCHRUN', inspector.url));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'ARBOR_NOT_FOUND' } });
    expect((await fetch(new URL('api/runs?limit=0', inspector.url))).status).toBe(400);
    expect((await fetch(new URL('api/nothing', inspector.url))).status).toBe(404);
  });

  it('shows a run with its replays, forks and CLI commands that reach the same store', async () => {
    const detail = await api<RunDetail>(`/runs/${runs.succeeded.slice(0, 20)}`);
    expect(detail.run.id).toBe(runs.succeeded);
    expect(detail.totalSteps).toBe(9);
    expect(detail.replays.map((run) => run.id).sort()).toEqual([runs.replayOk, runs.replayDiverged].sort());
    expect(detail.forks.map((run) => run.id)).toEqual([runs.forked]);
    expect(detail.commands.map((command) => command.command)).toContain(`arbor --store /tmp/my.db replay ${runs.succeeded} --mode verify`);
    const replayDetail = await api<RunDetail>(`/runs/${runs.replayDiverged}`);
    expect(replayDetail.original?.id).toBe(runs.succeeded);
  });

  it("lists a fork's steps with the prefix it shares with its parent", async () => {
    const steps = await api<StepSummaryView[]>(`/runs/${runs.forked}/steps`);
    expect(steps.map((step) => [step.seq, step.runId === runs.forked])).toEqual([
      [0, false],
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(steps[4]).toMatchObject({ action: 'reserve_stock', status: 'blocked', inputPreview: '{"orderId":"ord-1002"}' });
  });

  it('shows a step with its lineage, and a fork command with its recorded input', async () => {
    const detail = await api<StepDetail>(`/steps/${encodeURIComponent(`${runs.succeeded}:4`)}`);
    expect(detail.step).toMatchObject({ action: 'reserve_stock', input: { orderId: 'ord-1001' }, status: 'ok' });
    expect(detail.lineage.map((step) => step.seq)).toEqual([0, 1, 2, 3, 4]);
    const forkCommand = detail.commands.find((command) => command.command.includes(' fork '));
    expect(forkCommand?.command).toBe(`arbor --store /tmp/my.db fork ${runs.succeeded} --at 4 --input '{"orderId":"ord-1001"}'`);
  });

  it('gathers a run family: forks and replays with every step they recorded', async () => {
    const family = await api<FamilyView>(`/runs/${runs.replayDiverged}/family`);
    expect(family.rootRunId).toBe(runs.succeeded);
    expect(family.runs.map((run) => run.id).sort()).toEqual([runs.succeeded, runs.forked, runs.replayOk, runs.replayDiverged].sort());
    const forkStep = family.steps.find((step) => step.runId === runs.forked);
    expect(forkStep?.parentStepId).toBe(`${runs.succeeded}:3`);
  });

  it('pages a search tree, lists children by parent, and shows a node with its step and model call', async () => {
    const all = await searchPage(`/runs/${search.runId}/search`);
    expect(all.nodes).toHaveLength(120);
    expect(all.hasMore).toBe(false);
    expect(all.nodes[0]).toMatchObject({ id: 0, parentId: null, action: null, status: 'expanded', chosen: true });
    // The compact form carries every field of every node (scores to 4 decimals).
    for (const node of all.nodes) {
      const record = search.nodes[node.id];
      expect(node).toEqual({
        id: record?.nodeId,
        parentId: record?.parentId,
        depth: record?.depth,
        action: record?.action,
        status: record?.status,
        g: record?.g,
        h: record?.h === null || record?.h === undefined ? null : Math.round(record.h * 10_000) / 10_000,
        value: record?.value,
        visits: record?.visits,
        chosen: record?.data.chosen === true,
        effect: record?.data.effect ?? null,
        commit: record?.data.commit === true,
        goal: record?.data.goal === true,
      });
    }
    expect(all.nodes.filter((node) => node.chosen).at(-1)).toMatchObject({ id: search.chosenLeaf, goal: true, status: 'terminal' });

    const first = await searchPage(`/runs/${search.runId}/search?limit=50`);
    const rest = await searchPage(`/runs/${search.runId}/search?limit=100&offset=50`);
    expect(first.hasMore).toBe(true);
    expect([...first.nodes, ...rest.nodes].map((node) => node.id)).toEqual(all.nodes.map((node) => node.id));

    const children = await searchPage(`/runs/${search.runId}/search?parent=0`);
    expect(children.nodes.map((node) => node.id)).toEqual(all.nodes.filter((node) => node.parentId === 0).map((node) => node.id));
    expect((await searchPage(`/runs/${search.runId}/search?parent=root`)).nodes.map((node) => node.id)).toEqual([0]);

    const id = search.nodeWithModelCall as number;
    const parent = all.nodes.find((node) => node.id === id)?.parentId;
    const detail = await api<SearchNodeDetail>(`/runs/${search.runId}/search/nodes/${id}?parent=${parent}`);
    expect(detail.node.id).toBe(id);
    expect(detail.step?.output).toMatchObject({ ok: true });
    expect(detail.childCount).toBe(all.nodes.filter((node) => node.parentId === id).length);
    expect(detail.modelCalls).toHaveLength(1);
    expect(detail.modelCalls[0]).toMatchObject({ found: true, purpose: 'propose', model: 'openai:gpt-4o-mini', request: { messages: [{ role: 'system' }, { role: 'user' }] } });
    expect(detail.commands.some((command) => command.command.includes(`fork ${search.runId} --at`))).toBe(true);
    // Without the parent hint the node is still found.
    expect((await api<SearchNodeDetail>(`/runs/${search.runId}/search/nodes/${id}`)).node.id).toBe(id);
    expect((await fetch(new URL(`api/runs/${search.runId}/search/nodes/99999`, inspector.url))).status).toBe(404);
  });

  it('diffs two runs side by side and says where they first differ', async () => {
    const diff = await api<DiffView>(`/diff?left=${runs.succeeded}&right=${runs.forked}`);
    expect(diff.firstDivergence).toBe(4);
    expect(diff.entries.slice(0, 4).every((entry) => entry.shared && entry.kind === 'same')).toBe(true);
    expect(diff.entries[4]).toMatchObject({ kind: 'changed', changes: expect.arrayContaining(['input', 'status']) });
    expect(diff.entries[5]).toMatchObject({ kind: 'left-only' });
    expect((await fetch(new URL('api/diff?left=x', inspector.url))).status).toBe(400);
  });
});
