import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { DiffEntryView, DiffView, StepView } from '../api.js';
import { JsonView, StatusBadge } from '../components/common.js';

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
                  <JsonView value={entry.left ? { input: entry.left.input, output: entry.left.output ?? null, error: entry.left.error ?? null } : undefined} />
                </td>
                <td>
                  <JsonView value={entry.right ? { input: entry.right.input, output: entry.right.output ?? null, error: entry.right.error ?? null } : undefined} />
                </td>
                <td />
              </tr>
            ) : null}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
