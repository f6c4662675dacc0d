import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export interface Formatter {
  color: boolean;
  style(style: Style, text: string): string;
}

export function createFormatter(color: boolean): Formatter {
  return { color, style: (style, text) => (color ? styleText(style, text) : text) };
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
  /** Truncate longer cells with an ellipsis. */
  max?: number;
}

/** A plain-text table: header, then one line per row, columns padded to their widest cell. */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], format?: Formatter): string {
  const cells = rows.map((row) => columns.map((column) => truncate(column.value(row), column.max)));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((line) => visibleLength(line[index] ?? ''))));
  const pad = (text: string, index: number) => {
    const width = widths[index] ?? 0;
    const gap = ' '.repeat(Math.max(0, width - visibleLength(text)));
    return columns[index]?.align === 'right' ? gap + text : text + gap;
  };
  const header = columns.map((column, index) => pad(column.header, index)).join('  ').trimEnd();
  const lines = cells.map((line) => line.map((cell, index) => pad(cell, index)).join('  ').trimEnd());
  return [format ? format.style('bold', header) : header, ...lines].join('\n');
}

export function truncate(text: string, max: number | undefined): string {
  const oneLine = text.replace(/\s+/g, ' ');
  if (max === undefined || oneLine.length <= max) return oneLine;
  return `${oneLine.slice(0, Math.max(0, max - 1))}…`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return '-';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function shortHash(hash: string | null | undefined): string {
  return hash == null ? '-' : hash.slice(0, 12);
}

/** A compact one-line rendering of a JSON value for tables. */
export function summarize(value: unknown, max = 60): string {
  if (value === undefined) return '';
  return truncate(typeof value === 'string' ? value : JSON.stringify(value), max);
}

function visibleLength(text: string): number {
  // Strip ANSI escapes so coloured cells align.
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
