import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { getJson, type RunSortKey, type RunStatusName, type RunsPage as RunsPageData, type RunView } from '../api.js';
import { ErrorBox, StatusBadge } from '../components/common.js';
import { formatDuration, formatTime, shortId } from '../format.js';

const STATUSES: RunStatusName[] = ['succeeded', 'failed', 'blocked', 'running', 'cancelled'];
const PAGE = 100;

const COLUMNS: { key: RunSortKey | null; label: string; className?: string }[] = [
  { key: null, label: '' },
  { key: null, label: 'Run' },
  { key: 'status', label: 'Status' },
  { key: 'task', label: 'Task' },
  { key: null, label: 'Environment' },
  { key: 'steps', label: 'Steps', className: 'number' },
  { key: 'duration', label: 'Duration', className: 'number' },
  { key: 'createdAt', label: 'Created' },
];

function toEpoch(date: string, endOfDay: boolean): string | undefined {
  if (date === '') return undefined;
  const time = new Date(`${date}T00:00:00`).getTime() + (endOfDay ? 86_400_000 : 0);
  return Number.isNaN(time) ? undefined : String(time);
}

export function RunsPage() {
  const [, navigate] = useLocation();
  const [statuses, setStatuses] = useState<RunStatusName[]>([]);
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [sort, setSort] = useState<{ key: RunSortKey; order: 'asc' | 'desc' }>({ key: 'createdAt', order: 'desc' });
  const [runs, setRuns] = useState<RunView[] | undefined>();
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [selected, setSelected] = useState<string[]>([]);

  // Typing waits a moment before it asks the server.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text]);

  const params = (offset: number) => ({
    status: statuses.join(','),
    q: query,
    since: toEpoch(since, false),
    until: toEpoch(until, true),
    sort: sort.key,
    order: sort.order,
    limit: PAGE,
    offset,
  });

  useEffect(() => {
    const controller = new AbortController();
    setError(undefined);
    getJson<RunsPageData>('/runs', params(0), controller.signal).then(
      (page) => {
        setRuns(page.runs);
        setHasMore(page.hasMore);
      },
      (thrown: unknown) => !controller.signal.aborted && setError(thrown as Error),
    );
    return () => controller.abort();
  }, [statuses.join(','), query, since, until, sort.key, sort.order]);

  const loadMore = async () => {
    try {
      const page = await getJson<RunsPageData>('/runs', params(runs?.length ?? 0));
      setRuns([...(runs ?? []), ...page.runs]);
      setHasMore(page.hasMore);
    } catch (thrown) {
      setError(thrown as Error);
    }
  };

  const toggleStatus = (status: RunStatusName) => setStatuses(statuses.includes(status) ? statuses.filter((s) => s !== status) : [...statuses, status]);
  const toggleSelected = (id: string) => setSelected(selected.includes(id) ? selected.filter((s) => s !== id) : [...selected.slice(-1), id]);
  const sortBy = (key: RunSortKey) => setSort(sort.key === key ? { key, order: sort.order === 'asc' ? 'desc' : 'asc' } : { key, order: key === 'task' || key === 'status' ? 'asc' : 'desc' });

  return (
    <div class="page runs-page">
      <h1>Runs</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filter runs">
        <fieldset class="status-filter">
          <legend>Status</legend>
          {STATUSES.map((status) => (
            <label key={status} class="chip">
              <input type="checkbox" name="status" value={status} checked={statuses.includes(status)} onChange={() => toggleStatus(status)} />
              {status}
            </label>
          ))}
        </fieldset>
        <label>
          Search
          <input type="search" name="q" placeholder="task, environment or run id" value={text} onInput={(event) => setText(event.currentTarget.value)} />
        </label>
        <label>
          From
          <input type="date" name="since" value={since} onInput={(event) => setSince(event.currentTarget.value)} />
        </label>
        <label>
          To
          <input type="date" name="until" value={until} onInput={(event) => setUntil(event.currentTarget.value)} />
        </label>
        <button
          type="button"
          class="compare"
          disabled={selected.length !== 2}
          onClick={() => navigate(`/diff/${selected[0]}/${selected[1]}`)}
          title="Tick two runs to compare them side by side"
        >
          Compare {selected.length}/2
        </button>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {runs === undefined ? (
        <div class="loading">Loading…</div>
      ) : runs.length === 0 ? (
        <div class="empty">No runs match. Record one with "arbor demo", or clear the filters.</div>
      ) : (
        <table class="runs grid">
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <th key={column.label} class={column.className} aria-sort={column.key === sort.key ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                  {column.key === null ? (
                    column.label
                  ) : (
                    <button type="button" class="sort" onClick={() => sortBy(column.key as RunSortKey)}>
                      {column.label}
                      {column.key === sort.key ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} data-run-id={run.id} class={selected.includes(run.id) ? 'selected' : undefined}>
                <td>
                  <input type="checkbox" aria-label={`Select run ${run.id} to compare`} checked={selected.includes(run.id)} onChange={() => toggleSelected(run.id)} />
                </td>
                <td class="mono">
                  <Link href={`/runs/${run.id}`} title={run.id}>
                    {shortId(run.id)}
                  </Link>
                  {run.kind !== 'run' ? <span class={`badge kind-${run.kind}`}>{run.kind}</span> : null}
                  {run.hasSearch ? <span class="badge kind-search">search</span> : null}
                </td>
                <td>
                  <StatusBadge status={run.status} />
                  {run.divergence ? <span class="badge status-failed" title={run.divergence.reason}>diverged at {run.divergence.seq}</span> : null}
                </td>
                <td class="task">{run.task ?? <span class="muted">–</span>}</td>
                <td>{run.environment ?? '–'}</td>
                <td class="number">{run.stepCount}</td>
                <td class="number">{formatDuration(run.endedAt === null ? null : run.endedAt - run.createdAt)}</td>
                <td>{formatTime(run.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {hasMore ? (
        <button type="button" onClick={loadMore}>
          Load more runs
        </button>
      ) : null}
    </div>
  );
}
