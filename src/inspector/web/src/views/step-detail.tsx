import { Link } from 'wouter-preact';
import { encode, getJson, type StepDetail, type StepView } from '../api.js';
import { Commands, JsonView, Loaded, Section, StatusBadge } from '../components/common.js';
import { ModelCalls } from '../components/model-calls.js';
import { formatDuration, shortId } from '../format.js';
import { useLoad } from '../hooks.js';

/** Everything recorded about one step: input, output or error, nondeterminism, lineage, model calls. */
export function StepDetailPanel({ stepId, runId }: { stepId: string; runId: string }) {
  const detail = useLoad((signal) => getJson<StepDetail>(`/steps/${encode(stepId)}`, { run: runId }, signal), [stepId, runId]);
  return (
    <aside class="detail" aria-label="Step detail">
      <Loaded value={detail}>
        {(value) => (
          <>
            <StepFacts step={value.step} />
            <Section title="Lineage">
              <ol class="lineage">
                {value.lineage.map((step) => (
                  <li key={step.id}>
                    <Link href={`/runs/${step.runId}/steps/${encode(step.id)}`}>
                      {step.runId === runId ? '' : `${shortId(step.runId)} `}
                      {step.seq} {step.action}
                    </Link>{' '}
                    <StatusBadge status={step.status} />
                  </li>
                ))}
              </ol>
            </Section>
            {value.modelCalls.length > 0 ? (
              <Section title="Model calls">
                <ModelCalls calls={value.modelCalls} />
              </Section>
            ) : null}
            <Section title="Replay or fork from here">
              <Commands commands={value.commands} />
            </Section>
          </>
        )}
      </Loaded>
    </aside>
  );
}

export function StepFacts({ step, title }: { step: StepView; title?: string }) {
  return (
    <>
      <h2 class="detail-title">
        {title ?? `Step ${step.seq}`}: <span class="mono">{step.action}</span> <StatusBadge status={step.status} />
      </h2>
      <div class="facts">
        <span>effect {step.effect}</span>
        <span>{formatDuration(step.durationUs === null ? null : step.durationUs / 1000)}</span>
        {step.attempt > 1 ? <span>attempt {step.attempt}</span> : null}
        {step.depth > 0 ? <span>nested (depth {step.depth})</span> : null}
        <span class="mono" title={step.id}>
          {step.id}
        </span>
      </div>
      <Section title="Arguments">
        <JsonView value={step.input} label="step input" />
      </Section>
      {step.error ? (
        <Section title="Error">
          <div class="error-box">
            <strong>{step.error.code}</strong>: {step.error.message}
            {step.error.hint ? <div class="hint">{step.error.hint}</div> : null}
          </div>
        </Section>
      ) : null}
      <Section title="Observation (output)">
        <JsonView value={step.output} label="step output" />
      </Section>
      {step.nondeterminism.length > 0 ? (
        <Section title="Recorded nondeterminism">
          <JsonView value={step.nondeterminism} />
        </Section>
      ) : null}
      {Object.keys(step.metadata).length > 0 ? (
        <Section title="Step metadata">
          <JsonView value={step.metadata} />
        </Section>
      ) : null}
    </>
  );
}
