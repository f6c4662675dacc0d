import { Link, Route, Router, Switch } from 'wouter-preact';
import { useHashLocation } from 'wouter-preact/use-hash-location';
import { DiffPage } from './views/diff-page.js';
import { RunPage } from './views/run-page.js';
import { RunsPage } from './views/runs-page.js';

export function App() {
  return (
    <Router hook={useHashLocation}>
      <header class="top">
        <Link href="/" class="brand">
          Arbor inspector
        </Link>
        <nav>
          <Link href="/">Runs</Link>
        </nav>
      </header>
      <main>
        <Switch>
          <Route path="/">{() => <RunsPage />}</Route>
          <Route path="/runs/:id/:tab?/:item?">{(params) => <RunRoute params={params as RunParams} />}</Route>
          <Route path="/diff/:left/:right">{(params) => <DiffPage left={params.left} right={params.right} />}</Route>
          <Route>
            <div class="empty">
              Nothing here. <Link href="/">Back to the runs</Link>
            </div>
          </Route>
        </Switch>
      </main>
    </Router>
  );
}

type RunParams = { id: string; tab?: string; item?: string };

function RunRoute({ params }: { params: RunParams }) {
  return <RunPage id={params.id} tab={params.tab} item={params.item} />;
}
