import { Hono } from 'hono';
import { ArborError, NotFoundError, UsageError } from '../errors/index.js';
import { diffRuns, getRunOrThrow, lineage, resolveRunId, runSteps, type RunRecord, type RunStatus, type RunSummary, type Store } from '../provenance/index.js';
import type {
  ApiErrorBody,
  DiffView,
  FamilyView,
  RunDetail,
  RunSortKey,
  RunsPage,
  RunView,
  SearchNodeDetail,
  SearchPage,
  StepDetail,
  StepSummaryView,
} from './api-types.js';
import { encodeSearchPage } from './search-columns.js';
import { Commands, policyCallsFor, resolveModelCalls, runView, searchNodeView, stepSummary, stepView } from './views.js';

const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'blocked', 'cancelled'];
const SORT_KEYS: readonly RunSortKey[] = ['createdAt', 'status', 'steps', 'duration', 'task'];
/** Runs read at once to sort by something other than creation time, or to find a run's relatives. */
const MAX_SCANNED_RUNS = 100_000;
const MAX_SEARCH_PAGE = 50_000;
const DEFAULT_SEARCH_PAGE = 20_000;
const MAX_FAMILY_STEPS = 20_000;

export interface ApiOptions {
  store: Store;
  /** `arbor` plus the flags that reach the same store, for the commands the UI offers to copy. */
  commandPrefix?: string;
}

/** The read-only JSON API over the provenance store. */
export function createApi(options: ApiOptions): Hono {
  const { store } = options;
  const commands = new Commands(options.commandPrefix ?? 'arbor');
  const api = new Hono();

  api.onError((error, c) => {
    const arbor = ArborError.from(error);
    const status = arbor.code === 'ARBOR_NOT_FOUND' ? 404 : arbor.code === 'ARBOR_USAGE' ? 400 : 500;
    const body: ApiErrorBody = { error: arbor.toJSON() };
    return c.json(body, status);
  });
  api.notFound((c) => c.json<ApiErrorBody>({ error: { code: 'ARBOR_NOT_FOUND', message: `No API route ${c.req.method} ${c.req.path}` } }, 404));

  api.get('/runs', async (c) => {
    const query = c.req.query();
    const statuses = parseStatuses(query.status);
    const text = query.q?.trim() || undefined;
    const since = parseDate('since', query.since);
    const until = parseDate('until', query.until);
    const sort = (query.sort ?? 'createdAt') as RunSortKey;
    if (!SORT_KEYS.includes(sort)) throw new UsageError(`Unknown sort "${query.sort}"`, `Sort by one of: ${SORT_KEYS.join(', ')}.`);
    const order = query.order ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw new UsageError(`Unknown order "${order}"`, 'Use asc or desc.');
    const limit = parseInteger('limit', query.limit, 100, 1, 1000);
    const offset = parseInteger('offset', query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const filter = { ...(statuses.length > 0 ? { status: statuses } : {}), ...(text ? { text } : {}), ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };

    let page: RunSummary[];
    let hasMore: boolean;
    if (sort === 'createdAt' && order === 'desc') {
      // The store's own order: page in the database.
      const rows = await store.listRuns({ ...filter, limit: limit + 1, offset });
      page = rows.slice(0, limit);
      hasMore = rows.length > limit;
    } else {
      const rows = await store.listRuns({ ...filter, limit: MAX_SCANNED_RUNS });
      rows.sort(compareRuns(sort, order));
      page = rows.slice(offset, offset + limit);
      hasMore = rows.length > offset + limit;
    }
    const runs = await Promise.all(page.map((run) => summaryView(run)));
    return c.json<RunsPage>({ runs, offset, limit, hasMore });
  });

  api.get('/runs/:id', async (c) => {
    const runId = await resolveRunId(store, c.req.param('id'));
    const run = await getRunOrThrow(store, runId);
    const all = await store.listRuns({ limit: MAX_SCANNED_RUNS });
    const ownSteps = all.find((other) => other.id === runId)?.stepCount ?? (await store.listSteps(runId)).length;
    const related = async (predicate: (other: RunSummary) => boolean) => Promise.all(all.filter(predicate).map((other) => summaryView(other)));
    const view = await recordView(run, ownSteps);
    const detail: RunDetail = {
      run: view,
      totalSteps: ownSteps + (run.forkSeq ?? 0),
      replays: await related((other) => other.metadata.replayOf === runId),
      forks: await related((other) => other.parentRunId === runId),
      original: view.replayOf === null ? null : await related((other) => other.id === view.replayOf).then((found) => found[0] ?? null),
      commands: commands.forRun(run),
    };
    return c.json(detail);
  });

  api.get('/runs/:id/steps', async (c) => {
    const runId = await resolveRunId(store, c.req.param('id'));
    const steps: StepSummaryView[] = (await runSteps(store, runId)).map(stepSummary);
    return c.json(steps);
  });

  api.get('/runs/:id/family', async (c) => {
    const runId = await resolveRunId(store, c.req.param('id'));
    const all = await store.listRuns({ limit: MAX_SCANNED_RUNS });
    const byId = new Map(all.map((run) => [run.id, run]));
    const parentOf = (run: RunSummary): string | null => run.parentRunId ?? (typeof run.metadata.replayOf === 'string' ? run.metadata.replayOf : null);
    let root = byId.get(runId);
    if (root === undefined) throw new NotFoundError('run', runId);
    const visited = new Set<string>([root.id]);
    for (let parent = parentOf(root); parent !== null && byId.has(parent) && !visited.has(parent); parent = parentOf(root)) {
      root = byId.get(parent) as RunSummary;
      visited.add(root.id);
    }
    const children = new Map<string, RunSummary[]>();
    for (const run of all) {
      const parent = parentOf(run);
      if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), run]);
    }
    const members: RunSummary[] = [];
    const queue = [root];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const run = queue.shift() as RunSummary;
      if (seen.has(run.id)) continue;
      seen.add(run.id);
      members.push(run);
      queue.push(...(children.get(run.id) ?? []).sort((a, b) => a.createdAt - b.createdAt));
    }
    const steps: FamilyView['steps'] = [];
    let truncated = false;
    for (const run of members) {
      const own = await store.listSteps(run.id);
      if (steps.length + own.length > MAX_FAMILY_STEPS) {
        truncated = true;
        break;
      }
      steps.push(...own.map(stepSummary));
    }
    const family: FamilyView = { rootRunId: root.id, runs: await Promise.all(members.map((run) => summaryView(run))), steps, truncated };
    return c.json(family);
  });

  api.get('/runs/:id/search', async (c) => {
    const runId = await resolveRunId(store, c.req.param('id'));
    const query = c.req.query();
    const limit = parseInteger('limit', query.limit, DEFAULT_SEARCH_PAGE, 1, MAX_SEARCH_PAGE);
    const offset = parseInteger('offset', query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const parent = query.parent === undefined ? undefined : parseParent(query.parent);
    const rows = await store.listSearchNodes(runId, { ...(parent === undefined ? {} : { parentId: parent }), limit: limit + 1, offset });
    const page: SearchPage = { runId, nodes: rows.slice(0, limit).map(searchNodeView), offset, limit, hasMore: rows.length > limit };
    return c.json(encodeSearchPage(page));
  });

  api.get('/runs/:id/search/nodes/:nodeId', async (c) => {
    const runId = await resolveRunId(store, c.req.param('id'));
    const run = await getRunOrThrow(store, runId);
    const nodeId = parseInteger('nodeId', c.req.param('nodeId'), 0, 0, Number.MAX_SAFE_INTEGER);
    const parentHint = c.req.query('parent');
    // The parent, when the UI knows it, turns the look-up into an indexed query of the node's siblings.
    const candidates = await store.listSearchNodes(runId, parentHint === undefined ? {} : { parentId: parseParent(parentHint) });
    const node = candidates.find((candidate) => candidate.nodeId === nodeId);
    if (node === undefined) throw new NotFoundError('search node', `${nodeId} in run ${runId}`, 'Open the run\'s search tree to see its nodes.');
    const step = node.stepId === null ? undefined : await store.getStep(node.stepId);
    const childCount = (await store.listSearchNodes(runId, { parentId: nodeId })).length;
    const modelCalls = await resolveModelCalls(store, step === undefined ? node.data : { node: node.data, step: step.metadata });
    const detail: SearchNodeDetail = {
      node: { ...searchNodeView(node), input: node.input, data: node.data },
      step: step === undefined ? null : stepView(step),
      childCount,
      modelCalls,
      policyCalls: await policyCallsFor(store, run, node),
      commands: step === undefined ? commands.forRun(run).slice(1, 2) : commands.forStep(run, step),
    };
    return c.json(detail);
  });

  api.get('/steps/:stepId', async (c) => {
    const stepId = c.req.param('stepId');
    const step = await store.getStep(stepId);
    if (step === undefined) throw new NotFoundError('step', stepId);
    const run = await getRunOrThrow(store, c.req.query('run') ?? step.runId);
    const detail: StepDetail = {
      step: stepView(step),
      lineage: (await lineage(store, stepId)).map(stepSummary),
      modelCalls: await resolveModelCalls(store, step.metadata),
      commands: commands.forStep(run, step),
    };
    return c.json(detail);
  });

  api.get('/diff', async (c) => {
    const left = c.req.query('left');
    const right = c.req.query('right');
    if (left === undefined || right === undefined) throw new UsageError('A diff needs two runs', 'Pass ?left=<run id>&right=<run id>.');
    const [leftId, rightId] = [await resolveRunId(store, left), await resolveRunId(store, right)];
    const diff = await diffRuns(store, leftId, rightId);
    const [leftOwn, rightOwn] = await Promise.all([store.listSteps(leftId), store.listSteps(rightId)]);
    const view: DiffView = {
      left: await recordView(diff.left, leftOwn.length),
      right: await recordView(diff.right, rightOwn.length),
      entries: diff.entries.map((entry) => ({
        seq: entry.seq,
        kind: entry.kind,
        shared: entry.shared,
        changes: entry.changes,
        ...(entry.left === undefined ? {} : { left: stepView(entry.left) }),
        ...(entry.right === undefined ? {} : { right: stepView(entry.right) }),
      })),
      firstDivergence: diff.firstDivergence,
      commands: commands.diff(leftId, rightId),
    };
    return c.json(view);
  });

  async function hasSearch(runId: string): Promise<boolean> {
    return (await store.listSearchNodes(runId, { limit: 1 })).length > 0;
  }
  async function summaryView(run: RunSummary): Promise<RunView> {
    return runView(run, run.stepCount, await hasSearch(run.id));
  }
  async function recordView(run: RunRecord, stepCount: number): Promise<RunView> {
    return runView(run, stepCount, await hasSearch(run.id));
  }
  return api;
}

function parseStatuses(value: string | undefined): RunStatus[] {
  if (value === undefined || value.trim() === '') return [];
  const statuses = value.split(',').map((status) => status.trim());
  const unknown = statuses.filter((status) => !RUN_STATUSES.includes(status as RunStatus));
  if (unknown.length > 0) throw new UsageError(`Unknown run status "${unknown.join('", "')}"`, `Use one of: ${RUN_STATUSES.join(', ')}.`);
  return statuses as RunStatus[];
}

function parseDate(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(time)) throw new UsageError(`${name} must be a date such as 2026-11-28 or epoch milliseconds, not "${value}"`);
  return time;
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, not "${value}"`);
  return number;
}

function parseParent(value: string): number | null {
  return value === 'root' || value === 'null' ? null : parseInteger('parent', value, 0, 0, Number.MAX_SAFE_INTEGER);
}

function compareRuns(sort: RunSortKey, order: 'asc' | 'desc'): (a: RunSummary, b: RunSummary) => number {
  const key = (run: RunSummary): number | string => {
    switch (sort) {
      case 'createdAt':
        return run.createdAt;
      case 'status':
        return run.status;
      case 'steps':
        return run.stepCount;
      case 'duration':
        return run.endedAt === null ? Number.POSITIVE_INFINITY : run.endedAt - run.createdAt;
      case 'task':
        return (run.task ?? '').toLowerCase();
    }
  };
  const sign = order === 'asc' ? 1 : -1;
  return (a, b) => {
    const [x, y] = [key(a), key(b)];
    const compared = x < y ? -1 : x > y ? 1 : 0;
    return compared !== 0 ? sign * compared : b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1);
  };
}
