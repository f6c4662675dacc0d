import { getJson, type DiffView, type RunView } from '../api.js';
import { Commands, ErrorBox, Loaded } from '../components/common.js';
import { shortId } from '../format.js';
import { useLoad } from '../hooks.js';
import { DiffTable } from './diff-table.js';

/** A verify replay next to the run it replayed, with the step where it diverged marked and explained. */
export function ReplayView({ replay, original }: { replay: RunView; original: RunView | null }) {
  const diff = useLoad(
    (signal) => (original === null ? Promise.reject(new Error(`The replayed run ${replay.replayOf ?? ''} is no longer in the store`)) : getJson<DiffView>('/diff', { left: original.id, right: replay.id }, signal)),
    [replay.id, original?.id],
  );
  const divergence = replay.divergence;
  return (
    <div class="replay-view">
      {divergence ? (
        <div class="divergence" role="alert">
          <strong>
            Verify diverged at step {divergence.seq} ({divergence.action})
          </strong>
          : {divergence.reason}.
          <div class="muted">
            recorded {divergence.expectedStatus} with output {divergence.expectedHash?.slice(0, 12) ?? '–'}; the replay got {divergence.actualStatus ?? 'no step'} with output{' '}
            {divergence.actualHash?.slice(0, 12) ?? '–'}
          </div>
        </div>
      ) : replay.status === 'succeeded' ? (
        <div class="reproduced">The replay reproduced every re-executed step of the original.</div>
      ) : (
        <ErrorBox error={new Error(`The replay ended ${replay.status} without a recorded divergence.`)} />
      )}
      <Loaded value={diff}>
        {(value) => (
          <>
            <DiffTable diff={value} highlightSeq={divergence?.seq ?? null} leftTitle={`Original ${shortId(value.left.id)}`} rightTitle={`Replay ${shortId(value.right.id)}`} />
            <Commands commands={value.commands} />
          </>
        )}
      </Loaded>
    </div>
  );
}
