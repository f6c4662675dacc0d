import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { encode, getJson, type RunView, type SearchNodeDetail, type SearchNodeView, type SearchPage } from '../api.js';
import { Commands, ErrorBox, JsonView, Loaded, Section, StatusBadge } from '../components/common.js';
import { ModelCalls } from '../components/model-calls.js';
import { formatNumber } from '../format.js';
import { useLoad } from '../hooks.js';
import { firstSearchPage, SEARCH_PAGE as PAGE, searchPage } from '../prefetch.js';
import { SEARCH_LEGEND, searchItem, searchMetric } from '../tree/palette.js';
import { Legend, useTreeCanvas } from '../tree/tree-panel.js';
import { TreeModel } from '../tree/tree-model.js';
import { StepFacts } from './step-detail.js';

/** Above this many nodes the tree opens with only the chosen path and the first level expanded. */
const COLLAPSE_ABOVE = 1_500;

interface LoadState {
  loaded: number;
  hasMore: boolean;
  busy: boolean;
  error?: Error;
  openMs?: number;
}

export function SearchView({ run, nodeParam }: { run: RunView; nodeParam: string | undefined }) {
  const [, navigate] = useLocation();
  const box = useRef<HTMLDivElement>(null);
  const model = useMemo(() => new TreeModel(), [run.id]);
  const nodes = useMemo(() => new Map<number, SearchNodeView>(), [run.id]);
  const [state, setState] = useState<LoadState>({ loaded: 0, hasMore: false, busy: true });
  const [revision, setRevision] = useState(0);
  /** Rows received through offset pages (children loaded by parent are not counted). */
  const paged = useRef(0);
  const [find, setFind] = useState('');
  const [findMessage, setFindMessage] = useState('');
  const selectedKey = nodeParam ?? null;
  const base = `/runs/${run.id}/search`;
  const select = (key: string | null) => navigate(key === null ? base : `${base}/${key}`, { replace: true });
  const canvas = useTreeCanvas(box, { onSelect: select, onToggle: () => setRevision((value) => value + 1) });

  const addPage = (page: SearchPage) => {
    for (const node of page.nodes) nodes.set(node.id, node);
    model.add(page.nodes.map(searchItem));
  };

  useLayoutEffect(() => {
    if (canvas === undefined) return;
    const controller = new AbortController();
    const started = performance.now();
    setState({ loaded: 0, hasMore: false, busy: true });
    firstSearchPage(run.id, controller.signal).then(
      (page) => {
        performance.mark('arbor:search-fetched');
        paged.current = page.nodes.length;
        addPage(page);
        if (model.size > COLLAPSE_ABOVE) model.collapseExcept(chosenKeys(nodes), 1);
        if (selectedKey !== null) model.reveal(selectedKey);
        performance.mark('arbor:search-modelled');
        canvas.setModel(model);
        performance.mark('arbor:search-laid-out');
        canvas.select(selectedKey);
        if (selectedKey !== null && model.get(selectedKey)) canvas.focus(selectedKey);
        else canvas.fit();
        canvas.draw();
        const openMs = performance.now() - started;
        performance.mark('arbor:search-tree-drawn');
        setState({ loaded: model.size, hasMore: page.hasMore, busy: false, openMs });
        setRevision((value) => value + 1);
      },
      (error: unknown) => !controller.signal.aborted && setState({ loaded: 0, hasMore: false, busy: false, error: error as Error }),
    );
    return () => controller.abort();
  }, [canvas, run.id]);

  // Follow the selection in the address (clicks, links, the back button).
  useEffect(() => {
    if (canvas === undefined || state.loaded === 0) return;
    if (selectedKey !== null && model.get(selectedKey)) {
      const hidden = canvas.layout?.byKey.get(selectedKey) === undefined;
      if (hidden) {
        model.reveal(selectedKey);
        canvas.setModel(model);
        canvas.focus(selectedKey);
      }
    }
    canvas.select(selectedKey);
  }, [canvas, selectedKey, state.loaded]);

  const relayout = (then?: () => void) => {
    if (canvas === undefined) return;
    canvas.setModel(model);
    then?.();
    setRevision((value) => value + 1);
  };

  const showChosen = () => {
    const chosen = [...nodes.values()].filter((node) => node.chosen).sort((a, b) => b.depth - a.depth)[0];
    if (chosen === undefined) return setFindMessage('This search marked no chosen path.');
    const key = String(chosen.id);
    model.reveal(key);
    relayout(() => canvas?.focus(key));
    select(key);
  };

  const findNode = (event: Event) => {
    event.preventDefault();
    const text = find.trim().toLowerCase();
    if (text === '') return;
    const byId = /^#?(\d+)$/.exec(text);
    let match: SearchNodeView | undefined;
    if (byId) match = nodes.get(Number(byId[1]));
    else {
      const matches = [...nodes.values()].filter((node) => (node.action ?? 'start').toLowerCase().includes(text));
      const after = matches.findIndex((node) => String(node.id) === selectedKey);
      match = matches[(after + 1) % Math.max(1, matches.length)];
      setFindMessage(matches.length === 0 ? '' : `${matches.length} match${matches.length === 1 ? '' : 'es'}`);
    }
    if (match === undefined) return setFindMessage(`No loaded node matches "${find.trim()}"`);
    const key = String(match.id);
    model.reveal(key);
    relayout(() => canvas?.focus(key));
    select(key);
  };

  const loadMore = async () => {
    setState({ ...state, busy: true });
    try {
      const page = await searchPage(run.id, { offset: paged.current });
      paged.current += page.nodes.length;
      addPage(page);
      relayout();
      setState({ ...state, loaded: model.size, hasMore: page.hasMore, busy: false });
    } catch (error) {
      setState({ ...state, busy: false, error: error as Error });
    }
  };

  const loadChildren = async (nodeId: number) => {
    const page = await searchPage(run.id, { parent: nodeId });
    addPage(page);
    model.setCollapsed(String(nodeId), false);
    relayout();
    setState((current) => ({ ...current, loaded: model.size }));
  };

  const counts = useMemo(() => {
    const result: Record<string, number> = {};
    for (const node of nodes.values()) result[node.status] = (result[node.status] ?? 0) + 1;
    return result;
  }, [state.loaded]);

  const selectedNode = selectedKey === null ? undefined : nodes.get(Number(selectedKey));
  return (
    <div class="split">
      <div class="split-main tree-area">
        <div class="toolbar">
          <button type="button" onClick={() => canvas?.fit()}>
            Fit
          </button>
          <button type="button" onClick={showChosen}>
            Chosen path
          </button>
          <button type="button" onClick={() => (model.expandAll(), relayout(() => canvas?.fit()))}>
            Expand all
          </button>
          <button type="button" onClick={() => (model.collapseExcept(chosenKeys(nodes), 1), relayout(() => canvas?.fit()))}>
            Collapse
          </button>
          <form class="find" onSubmit={findNode}>
            <input type="search" name="find" placeholder="find #id or action" value={find} onInput={(event) => setFind(event.currentTarget.value)} aria-label="Find a node by id or action" />
            <button type="submit">Find</button>
          </form>
          <span class="muted" role="status">
            {findMessage}
          </span>
        </div>
        <div class="tree-status">
          <span data-testid="node-count">
            {state.loaded.toLocaleString()} nodes{state.hasMore ? ' loaded (more recorded)' : ''}
          </span>
          {Object.entries(counts).map(([status, count]) => (
            <span key={status}>
              {status} {count.toLocaleString()}
            </span>
          ))}
          {state.openMs !== undefined ? <span class="muted">opened in {Math.round(state.openMs)} ms</span> : null}
          {state.hasMore ? (
            <button type="button" disabled={state.busy} onClick={loadMore}>
              Load {PAGE.toLocaleString()} more
            </button>
          ) : null}
        </div>
        <Legend entries={SEARCH_LEGEND} />
        {state.error ? <ErrorBox error={state.error} /> : null}
        <div class="tree-box" ref={box} data-tree-state={state.busy ? 'loading' : state.error ? 'error' : 'ready'} data-node-count={state.loaded} data-revision={revision}>
          {state.busy && state.loaded === 0 ? <div class="tree-loading">Loading the search tree…</div> : null}
        </div>
      </div>
      {selectedNode !== undefined ? (
        <SearchNodePanel
          runId={run.id}
          node={selectedNode}
          path={model.pathTo(String(selectedNode.id)).map((key) => nodes.get(Number(key))).filter((node): node is SearchNodeView => node !== undefined)}
          collapsed={model.get(String(selectedNode.id))?.collapsed ?? false}
          loadedChildren={model.get(String(selectedNode.id))?.children.length ?? 0}
          onToggle={() => (model.toggle(String(selectedNode.id)), relayout())}
          onSelect={(id) => select(String(id))}
          onLoadChildren={() => loadChildren(selectedNode.id)}
        />
      ) : (
        <aside class="detail muted">
          Click a node to see its action, arguments, observation, scores and the model calls behind it. Drag to pan, scroll to zoom, double-click to collapse or
          expand a subtree, arrow keys to move.
        </aside>
      )}
    </div>
  );
}

function chosenKeys(nodes: Map<number, SearchNodeView>): Set<string> {
  const keys = new Set<string>();
  for (const node of nodes.values()) if (node.chosen) keys.add(String(node.id));
  return keys;
}

interface PanelProps {
  runId: string;
  node: SearchNodeView;
  path: SearchNodeView[];
  collapsed: boolean;
  loadedChildren: number;
  onToggle: () => void;
  onSelect: (id: number) => void;
  onLoadChildren: () => Promise<void>;
}

function SearchNodePanel({ runId, node, path, collapsed, loadedChildren, onToggle, onSelect, onLoadChildren }: PanelProps) {
  const detail = useLoad(
    (signal) => getJson<SearchNodeDetail>(`/runs/${encode(runId)}/search/nodes/${node.id}`, { parent: node.parentId === null ? 'root' : node.parentId }, signal),
    [runId, node.id],
  );
  return (
    <aside class="detail" aria-label="Search node detail">
      <h2 class="detail-title">
        Node #{node.id}: <span class="mono">{node.action ?? 'start'}</span> <StatusBadge status={node.status} />
        {node.chosen ? <span class="badge chosen">chosen</span> : null}
        {node.goal ? <span class="badge status-succeeded">goal</span> : null}
        {node.effect === 'irreversible' || node.commit ? <span class="badge irreversible">irreversible</span> : null}
      </h2>
      <nav class="breadcrumb" aria-label="Path from the start">
        {path.map((step, index) => (
          <span key={step.id}>
            {index > 0 ? ' › ' : ''}
            <button type="button" class="link" onClick={() => onSelect(step.id)}>
              #{step.id} {step.action ?? 'start'}
            </button>
          </span>
        ))}
      </nav>
      <table class="scores" aria-label="Scores">
        <tbody>
          <tr>
            <th>depth</th>
            <td>{node.depth}</td>
            <th>f = g + h</th>
            <td>{searchMetric(node).startsWith('f=') ? searchMetric(node).slice(2) : '–'}</td>
          </tr>
          <tr>
            <th>g (cost so far)</th>
            <td>{formatNumber(node.g)}</td>
            <th>h (estimate to go)</th>
            <td>{formatNumber(node.h)}</td>
          </tr>
          <tr>
            <th>value</th>
            <td>{formatNumber(node.value, 3)}</td>
            <th>visits</th>
            <td>{node.visits}</td>
          </tr>
        </tbody>
      </table>
      <Loaded value={detail}>
        {(value) => (
          <>
            <div class="subtree">
              {value.childCount} children{loadedChildren < value.childCount ? ` (${loadedChildren} loaded)` : ''}
              {loadedChildren < value.childCount ? (
                <button type="button" onClick={() => void onLoadChildren()}>
                  Load children
                </button>
              ) : null}
              {loadedChildren > 0 ? (
                <button type="button" onClick={onToggle}>
                  {collapsed ? 'Expand subtree' : 'Collapse subtree'}
                </button>
              ) : null}
            </div>
            {value.step ? (
              <StepFacts step={value.step} title={`Step ${value.step.seq}`} />
            ) : (
              <Section title="Arguments">
                <JsonView value={value.node.input ?? undefined} label="node input" />
                <div class="muted">{node.parentId === null ? 'The start state of the search.' : 'Not executed (an irreversible commit point, or pruned before it ran).'}</div>
              </Section>
            )}
            <Section title="Scores and strategy data">
              <JsonView value={value.node.data} label="node data" />
            </Section>
            <Section title="Model calls">
              <ModelCalls calls={value.modelCalls} />
            </Section>
            {value.policyCalls.length > 0 ? (
              <Section title="Policy calls (what the policy was asked and answered)">
                {value.policyCalls.map((call) => (
                  <details class="model-call policy-call" key={call.index} open={call.relation === 'produced'}>
                    <summary>
                      #{call.index} {call.method} {call.relation === 'produced' ? 'at the parent (made or scored this node)' : 'at this node'}{' '}
                      <span class="muted">{call.request.length > 40 ? `${call.request.slice(0, 40)}…` : call.request}</span>
                    </summary>
                    <JsonView value={call.response} label={`${call.method} response`} />
                    <div class="muted">usage: {JSON.stringify(call.usage)}</div>
                  </details>
                ))}
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
