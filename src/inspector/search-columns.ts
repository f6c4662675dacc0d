import type { SearchNodeView, SearchPage, SearchPageWire } from './api-types.js';

/*
 * The compact form search nodes travel in (shared by the server and the web UI, so it imports only types):
 * ten thousand nodes are about 0.4 MB instead of 1.8 MB, which is faster to write, send and parse.
 */

const CHOSEN = 1;
const COMMIT = 2;
const GOAL = 4;

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10_000) / 10_000;
}

function indexer(): { table: string[]; index: (value: string | null) => number } {
  const table: string[] = [];
  const positions = new Map<string, number>();
  return {
    table,
    index: (value) => {
      if (value === null) return -1;
      let position = positions.get(value);
      if (position === undefined) {
        position = table.length;
        table.push(value);
        positions.set(value, position);
      }
      return position;
    },
  };
}

export function encodeSearchPage(page: SearchPage): SearchPageWire {
  const actions = indexer();
  const statuses = indexer();
  const effects = indexer();
  const columns: SearchPageWire['columns'] = {
    id: [],
    parentId: [],
    depth: [],
    action: [],
    actions: actions.table,
    status: [],
    statuses: statuses.table,
    g: [],
    h: [],
    value: [],
    visits: [],
    effect: [],
    effects: effects.table,
    flags: [],
  };
  for (const node of page.nodes) {
    columns.id.push(node.id);
    columns.parentId.push(node.parentId ?? -1);
    columns.depth.push(node.depth);
    columns.action.push(actions.index(node.action));
    columns.status.push(statuses.index(node.status));
    columns.g.push(round(node.g));
    columns.h.push(round(node.h));
    columns.value.push(round(node.value));
    columns.visits.push(node.visits);
    columns.effect.push(effects.index(node.effect));
    columns.flags.push((node.chosen ? CHOSEN : 0) | (node.commit ? COMMIT : 0) | (node.goal ? GOAL : 0));
  }
  return { runId: page.runId, offset: page.offset, limit: page.limit, hasMore: page.hasMore, columns };
}

export function decodeSearchPage(wire: SearchPageWire): SearchPage {
  const c = wire.columns;
  const nodes: SearchNodeView[] = new Array(c.id.length);
  for (let index = 0; index < c.id.length; index++) {
    const parentId = c.parentId[index] as number;
    const action = c.action[index] as number;
    const effect = c.effect[index] as number;
    const flags = c.flags[index] as number;
    nodes[index] = {
      id: c.id[index] as number,
      parentId: parentId < 0 ? null : parentId,
      depth: c.depth[index] as number,
      action: action < 0 ? null : (c.actions[action] ?? null),
      status: c.statuses[c.status[index] as number] ?? 'unknown',
      g: c.g[index] ?? null,
      h: c.h[index] ?? null,
      value: c.value[index] ?? null,
      visits: c.visits[index] as number,
      effect: effect < 0 ? null : (c.effects[effect] ?? null),
      chosen: (flags & CHOSEN) !== 0,
      commit: (flags & COMMIT) !== 0,
      goal: (flags & GOAL) !== 0,
    };
  }
  return { runId: wire.runId, offset: wire.offset, limit: wire.limit, hasMore: wire.hasMore, nodes };
}
