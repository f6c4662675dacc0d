import type { SearchNodeView, StepSummaryView } from '../api.js';
import type { TreeItem } from './tree-model.js';

/** Search node statuses and their colours, in legend order. */
export const SEARCH_COLOURS = {
  expanded: '#2563eb',
  open: '#94a3b8',
  terminal: '#16a34a',
  pruned: '#94a3b8',
  failed: '#dc2626',
  blocked: '#f59e0b',
} as const satisfies Record<string, string>;
export const IRREVERSIBLE_BLOCKED = '#9a3412';
export const CHOSEN = '#d97706';
export const IRREVERSIBLE_RING = '#7f1d1d';

export const STEP_COLOURS = {
  ok: '#16a34a',
  failed: '#dc2626',
  blocked: '#f59e0b',
  cancelled: '#94a3b8',
  running: '#7c3aed',
} as const satisfies Record<string, string>;

export interface LegendEntry {
  label: string;
  fill?: string;
  ring?: string;
  faded?: boolean;
  edge?: string;
}

export const SEARCH_LEGEND: LegendEntry[] = [
  { label: 'expanded', fill: SEARCH_COLOURS.expanded },
  { label: 'open', fill: SEARCH_COLOURS.open },
  { label: 'goal / terminal', fill: SEARCH_COLOURS.terminal },
  { label: 'pruned', fill: SEARCH_COLOURS.pruned, faded: true },
  { label: 'failed', fill: SEARCH_COLOURS.failed },
  { label: 'blocked', fill: SEARCH_COLOURS.blocked },
  { label: 'blocked irreversible', fill: IRREVERSIBLE_BLOCKED, ring: IRREVERSIBLE_RING },
  { label: 'chosen path', ring: CHOSEN, edge: CHOSEN },
];

export const STEP_LEGEND: LegendEntry[] = [
  { label: 'ok', fill: STEP_COLOURS.ok },
  { label: 'failed', fill: STEP_COLOURS.failed },
  { label: 'blocked', fill: STEP_COLOURS.blocked },
  { label: 'run / fork start', fill: '#334155' },
  { label: 'this run', edge: CHOSEN },
  { label: 'divergence', ring: '#dc2626' },
];

function number(value: number | null): string {
  if (value === null) return '?';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** f = g + h for A*-like searches, value and visits for MCTS-like ones. */
export function searchMetric(node: SearchNodeView): string {
  if (node.g !== null && node.h !== null) return `f=${number(node.g + node.h)} (g=${number(node.g)} + h=${number(node.h)})`;
  // Not evaluated (a commit point, a pruned proposal): only the cost so far is known.
  if (node.g !== null) return `g=${number(node.g)}${node.value !== null ? ` v=${number(node.value)}` : ''}`;
  if (node.value !== null || node.visits > 0) return `v=${number(node.value)} n=${node.visits}`;
  return '';
}

export function searchItem(node: SearchNodeView): TreeItem {
  const irreversible = node.effect === 'irreversible' || node.commit;
  const fill = node.status === 'blocked' && irreversible ? IRREVERSIBLE_BLOCKED : node.goal ? SEARCH_COLOURS.terminal : ((SEARCH_COLOURS as Record<string, string>)[node.status] ?? '#64748b');
  return {
    key: String(node.id),
    parentKey: node.parentId === null ? null : String(node.parentId),
    label: `#${node.id} ${node.action ?? 'start'}`,
    metric: searchMetric(node),
    fill,
    ring: node.chosen ? CHOSEN : irreversible ? IRREVERSIBLE_RING : null,
    emphasis: node.chosen,
    faded: node.status === 'pruned',
    radius: node.visits > 0 ? Math.min(10, 4 + 1.3 * Math.log2(1 + node.visits)) : 5,
  };
}

export function stepItem(step: StepSummaryView, parentKey: string, options: { emphasis: boolean; ring: string | null; prefix?: string }): TreeItem {
  return {
    key: step.id,
    parentKey,
    label: `${options.prefix ?? ''}${step.seq} ${step.action}`,
    metric: step.error ? step.error.code : step.outputPreview.slice(0, 40),
    fill: (STEP_COLOURS as Record<string, string>)[step.status] ?? '#64748b',
    ring: options.ring,
    emphasis: options.emphasis,
    faded: false,
    radius: 5,
  };
}
