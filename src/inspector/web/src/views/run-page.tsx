import { useMemo } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { encode, getJson, type RunDetail, type RunView } from '../api.js';
import { Commands, JsonView, Loaded, StatusBadge } from '../components/common.js';
import { formatDuration, formatTime, shortId } from '../format.js';
import { useLoad } from '../hooks.js';
import { prefetchSearch } from '../prefetch.js';
import { ProvenanceView } from './provenance-view.js';
import { ReplayView } from './replay-view.js';
import { SearchView } from './search-view.js';
import { StepsView } from './steps-view.js';

type Tab = 'steps' | 'search' | 'provenance' | 'replays' | 'replay';

export function RunPage({ id, tab, item }: { id: string; tab: string | undefined; item: string | undefined }) {
  // The search tree is the default view of runs that have one: ask for it alongside the run.
  useMemo(() => (tab === undefined || tab === 'search') && prefetchSearch(id), [id]);
  const detail = useLoad((signal) => getJson<RunDetail>(`/runs/${encode(id)}`, {}, signal), [id]);
  return <Loaded value={detail}>{(run) => <RunBody detail={run} tab={tab} item={item} />}</Loaded>;
}

function RunBody({ detail, tab, item }: { detail: RunDetail; tab: string | undefined; item: string | undefined }) {
  const [, navigate] = useLocation();
  const { run } = detail;
  const tabs: { key: Tab; label: string }[] = [
    ...(run.hasSearch ? [{ key: 'search' as const, label: 'Search tree' }] : []),
    { key: 'steps', label: `Steps (${detail.totalSteps})` },
    { key: 'provenance', label: 'Provenance' },
    ...(run.kind === 'replay' ? [{ key: 'replay' as const, label: 'Replay' }] : []),
    ...(detail.replays.length > 0 ? [{ key: 'replays' as const, label: `Replays (${detail.replays.length})` }] : []),
  ];
  const fallback: Tab = run.kind === 'replay' ? 'replay' : run.hasSearch ? 'search' : 'steps';
  const current = (tabs.find((candidate) => candidate.key === tab)?.key ?? fallback) as Tab;
  const base = `/runs/${run.id}`;
  return (
    <div class="page run-page">
      <div class="run-header">
        <h1>
          Run <span class="mono" title={run.id}>{run.id}</span> <StatusBadge status={run.status} />
          {run.kind !== 'run' ? <span class={`badge kind-${run.kind}`}>{run.kind}</span> : null}
        </h1>
        <div class="run-facts">
          <span>{run.task ?? 'no task recorded'}</span>
          <span>environment {run.environment ?? '–'}</span>
          <span>created {formatTime(run.createdAt)}</span>
          <span>took {formatDuration(run.endedAt === null ? null : run.endedAt - run.createdAt)}</span>
          {run.parentRunId ? (
            <span>
              fork of <Link href={`/runs/${run.parentRunId}`}>{shortId(run.parentRunId)}</Link> at step {run.forkSeq}{' '}
              (<Link href={`/diff/${run.parentRunId}/${run.id}`}>compare</Link>)
            </span>
          ) : null}
          {run.replayOf ? (
            <span>
              verify replay of <Link href={`/runs/${run.replayOf}`}>{shortId(run.replayOf)}</Link>
            </span>
          ) : null}
        </div>
        <details class="run-more">
          <summary>Metadata and commands</summary>
          <div class="two-columns">
            <JsonView value={run.metadata} label="run metadata" />
            <Commands commands={detail.commands} />
          </div>
        </details>
      </div>
      <nav class="tabs" role="tablist">
        {tabs.map((candidate) => (
          <button
            type="button"
            role="tab"
            key={candidate.key}
            aria-selected={candidate.key === current}
            class={candidate.key === current ? 'tab active' : 'tab'}
            onClick={() => navigate(`${base}/${candidate.key}`)}
          >
            {candidate.label}
          </button>
        ))}
      </nav>
      <div class="tab-body">
        {current === 'search' ? <SearchView run={run} nodeParam={item} /> : null}
        {current === 'steps' ? <StepsView detail={detail} stepParam={item} /> : null}
        {current === 'provenance' ? <ProvenanceView run={run} stepParam={item} /> : null}
        {current === 'replay' ? <ReplayView replay={run} original={detail.original} /> : null}
        {current === 'replays' ? <ReplaysList replays={detail.replays} /> : null}
      </div>
    </div>
  );
}

function ReplaysList({ replays }: { replays: RunView[] }) {
  return (
    <table class="grid">
      <thead>
        <tr>
          <th>Replay run</th>
          <th>Status</th>
          <th>Result</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {replays.map((replay) => (
          <tr key={replay.id}>
            <td class="mono">
              <Link href={`/runs/${replay.id}/replay`}>{shortId(replay.id)}</Link>
            </td>
            <td>
              <StatusBadge status={replay.status} />
            </td>
            <td>{replay.divergence ? `diverged at step ${replay.divergence.seq} (${replay.divergence.action}): ${replay.divergence.reason}` : 'reproduced every step'}</td>
            <td>{formatTime(replay.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
