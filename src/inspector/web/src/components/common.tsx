import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, type CliCommandView, type ErrorView, type Json } from '../api.js';
import type { Loadable } from '../hooks.js';

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}

export function ErrorBox({ error }: { error: Error }) {
  const hint = error instanceof ApiError ? error.hint : undefined;
  const code = error instanceof ApiError ? error.code : 'error';
  return (
    <div class="error-box" role="alert">
      <strong>{code}</strong>: {error.message}
      {hint ? <div class="hint">{hint}</div> : null}
    </div>
  );
}

/** Renders a loadable value: a spinner line, an error box, or the content. */
export function Loaded<T>({ value, children }: { value: Loadable<T>; children: (value: T) => ComponentChildren }) {
  if (value.state === 'loading') return <div class="loading">Loading…</div>;
  if (value.state === 'error') return <ErrorBox error={value.error} />;
  return <>{children(value.value)}</>;
}

const MAX_JSON_CHARS = 20_000;

/** Pretty-printed JSON, cut (with a button for the rest) when very long. */
export function JsonView({ value, label }: { value: Json | ErrorView | object | undefined; label?: string }) {
  const [full, setFull] = useState(false);
  if (value === undefined) return <div class="muted">none</div>;
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  const cut = !full && text.length > MAX_JSON_CHARS;
  return (
    <div class="json-block">
      <pre class="json" aria-label={label}>{cut ? `${text.slice(0, MAX_JSON_CHARS)}…` : text}</pre>
      {cut ? (
        <button type="button" class="link" onClick={() => setFull(true)}>
          Show all {text.length.toLocaleString()} characters
        </button>
      ) : null}
    </div>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard access can be refused (no focus, permissions): select the text for the user instead.
      const range = document.createRange();
      const node = document.querySelector(`[data-copy="${CSS.escape(text)}"]`);
      if (node) {
        range.selectNodeContents(node);
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(range);
      }
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" class="copy" onClick={copy} title="Copy to the clipboard">
      {copied ? 'Copied' : label}
    </button>
  );
}

/** CLI commands to act on what is shown: the inspector itself only reads. */
export function Commands({ commands }: { commands: CliCommandView[] }) {
  if (commands.length === 0) return null;
  return (
    <div class="commands">
      {commands.map((command) => (
        <div class="command" key={command.command}>
          <div class="command-label">{command.label}</div>
          <div class="command-line">
            <code data-copy={command.command}>{command.command}</code>
            <CopyButton text={command.command} />
          </div>
          {command.note ? <div class="hint">{command.note}</div> : null}
        </div>
      ))}
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="detail-section">
      <h3>{title}</h3>
      {children}
    </section>
  );
}
