import { Link } from 'wouter-preact';
import { getJson, type DiffView, type RunView } from '../api.js';
import { Commands, Loaded, StatusBadge } from '../components/common.js';
import { formatTime, shortId } from '../format.js';
import { useLoad } from '../hooks.js';
import { DiffTable } from './diff-table.js';

export function RunHeading({ run }: { run: RunView }) {
  return (
    <div class="diff-run">
      <Link href={`/runs/${run.id}`} class="mono">
        {run.id}
      </Link>{' '}
      <StatusBadge status={run.status} /> {run.kind !== 'run' ? <span class={`badge kind-${run.kind}`}>{run.kind}</span> : null}
      <div class="muted">
        {run.task ?? 'no task'} · {formatTime(run.createdAt)} · {run.stepCount} own steps
      </div>
    </div>
  );
}

export function DiffPage({ left, right }: { left: string; right: string }) {
  const diff = useLoad((signal) => getJson<DiffView>('/diff', { left, right }, signal), [left, right]);
  return (
    <div class="page diff-page">
      <Loaded value={diff}>
        {(value) => (
          <>
            <h1>
              Compare <span class="mono">{shortId(value.left.id)}</span> and <span class="mono">{shortId(value.right.id)}</span>
            </h1>
            <div class="diff-heads">
              <RunHeading run={value.left} />
              <RunHeading run={value.right} />
            </div>
            <p class="diff-summary" role="status">
              {value.firstDivergence === null
                ? 'The runs agree step for step (action, input, output and status).'
                : `First difference at step ${value.firstDivergence}. ${value.entries.filter((entry) => entry.kind !== 'same').length} of ${value.entries.length} steps differ.`}
            </p>
            <DiffTable diff={value} highlightSeq={value.firstDivergence} leftTitle={`Left ${shortId(value.left.id)}`} rightTitle={`Right ${shortId(value.right.id)}`} />
            <Commands commands={value.commands} />
          </>
        )}
      </Loaded>
    </div>
  );
}
