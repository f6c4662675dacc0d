import { useLocation } from 'wouter-preact';
import { encode, getJson, type RunDetail, type StepSummaryView } from '../api.js';
import { Loaded, StatusBadge } from '../components/common.js';
import { useLoad } from '../hooks.js';
import { formatDuration, shortId } from '../format.js';
import { StepDetailPanel } from './step-detail.js';

export function StepsView({ detail, stepParam }: { detail: RunDetail; stepParam: string | undefined }) {
  const [, navigate] = useLocation();
  const { run } = detail;
  const steps = useLoad((signal) => getJson<StepSummaryView[]>(`/runs/${encode(run.id)}/steps`, {}, signal), [run.id]);
  const selected = stepParam === undefined ? undefined : decodeURIComponent(stepParam);
  return (
    <div class="split">
      <div class="split-main scroll">
        <Loaded value={steps}>
          {(list) => (
        <table class="grid steps">
          <thead>
            <tr>
              <th class="number">Seq</th>
              <th>Action</th>
              <th>Effect</th>
              <th>Status</th>
              <th class="number">Time</th>
              <th>Input</th>
              <th>Output</th>
            </tr>
          </thead>
          <tbody>
            {list.map((step) => (
              <tr
                key={step.id}
                data-step-id={step.id}
                class={[step.id === selected ? 'selected' : '', step.runId !== run.id ? 'inherited' : ''].join(' ')}
                onClick={() => navigate(`/runs/${run.id}/steps/${encode(step.id)}`, { replace: true })}
                title={step.runId !== run.id ? `Shared with ${step.runId} (this run is a fork)` : undefined}
              >
                <td class="number">{step.seq}</td>
                <td class="mono" style={{ paddingLeft: `${0.5 + step.depth * 1.2}em` }}>
                  {step.action}
                  {step.runId !== run.id ? <span class="badge kind-fork">from {shortId(step.runId)}</span> : null}
                </td>
                <td>
                  <span class={`effect effect-${step.effect}`}>{step.effect}</span>
                </td>
                <td>
                  <StatusBadge status={step.status} />
                </td>
                <td class="number">{formatDuration(step.durationUs === null ? null : step.durationUs / 1000)}</td>
                <td class="preview mono">{step.inputPreview}</td>
                <td class="preview mono">{step.error ? step.error.code : step.outputPreview}</td>
              </tr>
            ))}
          </tbody>
        </table>
          )}
        </Loaded>
      </div>
      {selected !== undefined ? <StepDetailPanel stepId={selected} runId={run.id} /> : <aside class="detail muted">Click a step to see what it received and returned.</aside>}
    </div>
  );
}
