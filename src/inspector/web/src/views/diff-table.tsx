import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { DiffEntryView, DiffView, StepView } from '../api.js';
import { JsonView, StatusBadge } from '../components/common.js';
import { jsonDifferences } from '../json-diff.js';

function Side({ step, changes }: { step: StepView | undefined; changes: string[] }) {
  if (step === undefined) return <div class="diff-side missing">no step</div>;
  const mark = (field: string) => (changes.includes(field) ? 'changed-field' : undefined);
  return (
    <div class="diff-side">
      <div>
        <span class={`mono ${mark('action') ?? ''}`}>{step.action}</span> <span class={mark('status')}><StatusBadge status={step.status} /></span>
      </div>
      <div class={`preview mono ${mark('input') ?? ''}`} title="input">
        in: {step.inputPreview}
      </div>
      <div class={`preview mono ${mark('output') ?? ''}`} title="output">
        out: {step.error ? `${step.error.code}: ${step.error.message}` : step.outputPreview}
      </div>
    </div>
  );
}

function view(step: StepView | undefined) {
  return step === undefined ? undefined : { action: step.action, status: step.status, input: step.input, output: step.output ?? null, error: step.error ? { code: step.error.code, message: step.error.message } : null };
}

/** The fields that differ between the two sides of a row, with both values. */
function Differences({ entry }: { entry: DiffEntryView }) {
  if (entry.left === undefined || entry.right === undefined || entry.kind === 'same') return null;
  const differences = jsonDifferences(view(entry.left), view(entry.right));
  return (
    <table class="differences" aria-label="Differences">
      <tbody>
        {differences.map((difference) => (
          <tr key={difference.path}>
            <th class="mono">{difference.path}</th>
            <td class="mono">{difference.left === undefined ? '(absent)' : JSON.stringify(difference.left)}</td>
            <td class="mono">→ {difference.right === undefined ? '(absent)' : JSON.stringify(difference.right)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function label(entry: DiffEntryView): string {
  if (entry.shared) return 'shared';
  if (entry.kind === 'changed') return `changed: ${entry.changes.join(', ')}`;
  return entry.kind;
}

/** Two runs side by side, aligned by step number; differing fields are marked, a row opens to full JSON. */
export function DiffTable({ diff, highlightSeq, leftTitle, rightTitle }: { diff: DiffView; highlightSeq?: number | null; leftTitle: string; rightTitle: string }) {
  const [open, setOpen] = useState<number | null>(highlightSeq ?? null);
  return (
    <table class="grid diff">
      <thead>
        <tr>
          <th class="number">Seq</th>
          <th>{leftTitle}</th>
          <th>{rightTitle}</th>
          <th>Comparison</th>
        </tr>
      </thead>
      <tbody>
        {diff.entries.map((entry) => (
          <Fragment key={entry.seq}>
            <tr
              data-seq={entry.seq}
              data-kind={entry.kind}
              class={`diff-${entry.kind}${entry.shared ? ' diff-shared' : ''}${entry.seq === highlightSeq ? ' diverged' : ''}`}
              onClick={() => setOpen(open === entry.seq ? null : entry.seq)}
            >
              <td class="number">{entry.seq}</td>
              <td>
                <Side step={entry.left} changes={entry.changes} />
              </td>
              <td>
                <Side step={entry.right} changes={entry.changes} />
              </td>
              <td class="diff-label">
                {label(entry)}
                {entry.seq === highlightSeq ? <strong class="diverged-mark"> ← diverged here</strong> : null}
              </td>
            </tr>
            {open === entry.seq ? (
              <tr class="diff-open">
                <td />
                <td>
                  <JsonView value={view(entry.left)} />
                </td>
                <td>
                  <JsonView value={view(entry.right)} />
                </td>
                <td>
                  <Differences entry={entry} />
                </td>
              </tr>
            ) : null}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
