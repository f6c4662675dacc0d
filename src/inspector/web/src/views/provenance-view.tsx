import { useEffect, useMemo, useRef } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { encode, getJson, type FamilyView, type RunView } from '../api.js';
import { Loaded } from '../components/common.js';
import { shortId } from '../format.js';
import { useLoad } from '../hooks.js';
import { CHOSEN, STEP_LEGEND, stepItem } from '../tree/palette.js';
import { Legend, useTreeCanvas } from '../tree/tree-panel.js';
import { TreeModel, type TreeItem } from '../tree/tree-model.js';
import { StepDetailPanel } from './step-detail.js';

const RUN_START = '#334155';

/**
 * The provenance DAG of a run's family: every recorded step hangs from the step whose state it acted on
 * (parentStepId), so a fork branches off at the step it shares, and a verify replay hangs from the run it
 * replayed, with the step where it diverged ringed in red.
 */
export function familyItems(family: FamilyView, focusRunId: string): TreeItem[] {
  const items: TreeItem[] = [];
  const stepIds = new Set(family.steps.map((step) => step.id));
  const runs = new Map(family.runs.map((run) => [run.id, run]));
  // The focused run's history: its own steps, and the steps of its ancestors before each fork point.
  const historyLimit = new Map<string, number>([[focusRunId, Number.POSITIVE_INFINITY]]);
  let limit = Number.POSITIVE_INFINITY;
  for (let run = runs.get(focusRunId); run?.parentRunId; run = runs.get(run.parentRunId)) {
    limit = Math.min(limit, run.forkSeq ?? 0);
    historyLimit.set(run.parentRunId, limit);
  }
  const inFocus = (runId: string, seq: number) => seq < (historyLimit.get(runId) ?? Number.NEGATIVE_INFINITY);
  const firstOwnStep = new Map<string, string>();
  for (const step of family.steps) if (!firstOwnStep.has(step.runId) && step.depth === 0) firstOwnStep.set(step.runId, step.id);

  for (const run of family.runs) {
    const attachedToParentStep = run.kind === 'fork' && family.steps.some((step) => step.runId === run.id && step.parentStepId !== null && stepIds.has(step.parentStepId) && !step.parentStepId.startsWith(`${run.id}:`));
    if (attachedToParentStep) continue;
    const parent = run.kind === 'replay' ? run.replayOf : run.kind === 'fork' ? run.parentRunId : null;
    items.push({
      key: `run:${run.id}`,
      parentKey: parent !== null && runs.has(parent) ? `run:${parent}` : null,
      label: `${run.kind === 'run' ? 'run' : run.kind} ${shortId(run.id)}`,
      metric: run.kind === 'replay' ? (run.divergence ? `diverged at step ${run.divergence.seq}` : 'reproduced') : (run.task ?? '').slice(0, 40),
      fill: RUN_START,
      ring: run.id === focusRunId ? CHOSEN : null,
      emphasis: run.id === focusRunId,
      faded: false,
      radius: 6,
    });
  }
  for (const step of family.steps) {
    const run = runs.get(step.runId) as RunView;
    const parentKey = step.parentStepId !== null && stepIds.has(step.parentStepId) ? step.parentStepId : `run:${step.runId}`;
    const forkStart = run.kind === 'fork' && firstOwnStep.get(run.id) === step.id;
    const diverged = run.kind === 'replay' && run.divergence !== null && run.divergence.seq === step.seq;
    items.push(
      stepItem(step, parentKey, {
        emphasis: inFocus(step.runId, step.seq),
        ring: diverged ? '#dc2626' : forkStart ? '#7c3aed' : null,
        prefix: forkStart ? `fork ${shortId(run.id)} ▸ ` : run.kind === 'replay' && step.depth === 0 && firstOwnStep.get(run.id) === step.id ? `replay ▸ ` : '',
      }),
    );
  }
  return items;
}

export function ProvenanceView({ run, stepParam }: { run: RunView; stepParam: string | undefined }) {
  const [, navigate] = useLocation();
  const family = useLoad((signal) => getJson<FamilyView>(`/runs/${encode(run.id)}/family`, {}, signal), [run.id]);
  const box = useRef<HTMLDivElement>(null);
  const selected = stepParam === undefined ? null : decodeURIComponent(stepParam);
  const base = `/runs/${run.id}/provenance`;
  const canvas = useTreeCanvas(box, {
    onSelect: (key) => {
      if (key !== null && key.startsWith('run:')) return navigate(`/runs/${key.slice(4)}`);
      navigate(key === null ? base : `${base}/${encode(key)}`, { replace: true });
    },
  });
  const model = useMemo(() => {
    if (family.state !== 'ready') return undefined;
    const tree = new TreeModel();
    tree.add(familyItems(family.value, run.id));
    return tree;
  }, [family]);

  useEffect(() => {
    if (canvas === undefined || model === undefined) return;
    canvas.setModel(model);
    canvas.select(selected);
    if (selected !== null && model.get(selected)) canvas.focus(selected);
    else canvas.fit(0.7);
    box.current?.setAttribute('data-tree-state', 'ready');
  }, [canvas, model]);
  useEffect(() => canvas?.select(selected), [canvas, selected]);

  return (
    <div class="split">
      <div class="split-main tree-area">
        <Loaded value={family}>
          {(value) => (
            <div class="tree-status">
              <span>
                {value.runs.length} run{value.runs.length === 1 ? '' : 's'} in this family, {value.steps.length} steps
                {value.truncated ? ' (cut: too many steps to draw at once)' : ''}
              </span>
              {value.runs
                .filter((other) => other.id !== run.id)
                .slice(0, 8)
                .map((other) => (
                  <Link key={other.id} href={`/runs/${other.id}`}>
                    {other.kind} {shortId(other.id)}
                  </Link>
                ))}
            </div>
          )}
        </Loaded>
        <Legend entries={STEP_LEGEND} />
        <div class="tree-box" ref={box} />
      </div>
      {selected !== null ? <StepDetailPanel stepId={selected} runId={run.id} /> : <aside class="detail muted">Click a step to see its record; click a run node to open that run.</aside>}
    </div>
  );
}
