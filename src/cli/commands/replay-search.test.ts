import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../test-support.js';

let cwd: string;
let storePath: string;

function arbor(args: string[]) {
  return runCliInProcess(storePath, args);
}

interface SearchReplayJson {
  kind: string;
  strategy: string;
  sameChoices: boolean;
  complete: boolean;
  matchedSteps: number;
  comparedSteps: number;
  unverifiedSteps: number;
  stoppedAt: { action: string } | null;
  at: { kind: string; seq?: number; message: string } | null;
  replayRunId: string;
}

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'arbor-replay-search-'));
  storePath = join(cwd, 'arbor.db');
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('arbor replay on a recorded search', () => {
  it('verifies a search that backtracked (blocked and abandoned branches) without a false divergence', async () => {
    // At p = 0.7 A* tries wrong moves (blocked steps) and backtracks: a step-by-step replay of the run cannot
    // reproduce that sequence, a replay of the search can.
    const searched = await arbor(['plan', 'fsm/maze', 'gate-to-vault', '--strategy', 'astar', '--yes', '--json']);
    const { runId, tree } = JSON.parse(searched.stdout) as { runId: string; tree: { byStatus: Record<string, number> } };
    expect(tree.byStatus.blocked).toBeGreaterThan(0);
    const replayed = await arbor(['replay', runId]);
    expect(replayed.stderr).not.toContain('ARBOR_');
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(new RegExp(`^Verified search ${runId} \\(astar\\): the same choices, (\\d+) of \\1 steps reproduced`));
    const json = JSON.parse((await arbor(['replay', runId, '--json'])).stdout) as SearchReplayJson;
    expect(json).toMatchObject({ kind: 'search', strategy: 'astar', sameChoices: true, complete: true, at: null, unverifiedSteps: 0 });
    expect(json.matchedSteps).toBe(json.comparedSteps);
    expect(json.comparedSteps).toBeGreaterThan(12);
  });

  it('feeds back recorded nondeterminism and verifies up to the first commit unless irreversible steps are allowed', async () => {
    // The demo shop's shipping quote draws randomness; a lossy policy with branching makes it search.
    const demo = await arbor(['demo', '--accuracy', '0.6', '--branching', '3', '--yes', '--json']);
    const { runId } = JSON.parse(demo.stdout) as { runId: string };
    const untilCommit = JSON.parse((await arbor(['replay', runId, '--json'])).stdout) as SearchReplayJson;
    expect(untilCommit).toMatchObject({ at: null, complete: false, stoppedAt: { action: 'charge_payment' } });
    expect(untilCommit.unverifiedSteps).toBeGreaterThan(0);
    expect(untilCommit.matchedSteps).toBe(untilCommit.comparedSteps);
    const all = await arbor(['replay', runId, '--allow-irreversible', '--yes', '--json']);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ at: null, complete: true, sameChoices: true, unverifiedSteps: 0 });
  });

  it('still reports a real divergence: a recorded outcome the search does not reproduce (exit 4)', async () => {
    const searched = await arbor(['plan', 'fsm/maze', 'gate-to-vault', '--strategy', 'best-first', '--yes', '--json']);
    const { runId } = JSON.parse(searched.stdout) as { runId: string };
    const db = new Database(storePath);
    db.prepare("UPDATE steps SET output_hash = 'f00d' || substr(output_hash, 5) WHERE run_id = ? AND seq = 3").run(runId);
    db.close();
    const replayed = await arbor(['replay', runId]);
    expect(replayed.code).toBe(4);
    expect(replayed.stdout).toMatch(/^Diverged at step 3 \(walk\): step 3 \(walk\) did not reproduce: the output differs\./);
    expect(replayed.stdout).toContain('expected output f00d');
    expect((await arbor(['replay', runId, '--no-record'])).stderr).toMatch(/^ARBOR_USAGE: Run \w+ is a recorded search; its replay is recorded/);
    // Reuse mode reads the recorded outputs of a search like any run's.
    expect((await arbor(['replay', runId, '--mode', 'reuse'])).code).toBe(0);
  });

  it('refuses a search recorded by an earlier revision of its strategy before running anything (exit 4), and reuse still reads it', async () => {
    const searched = await arbor(['plan', 'fsm/maze', 'gate-to-vault', '--strategy', 'astar', '--yes', '--json']);
    const { runId } = JSON.parse(searched.stdout) as { runId: string };
    // As recorded before strategy revisions were recorded (read as revision 1).
    const db = new Database(storePath);
    db.prepare("UPDATE runs SET metadata = json_remove(metadata, '$.strategyRevision') WHERE id = ?").run(runId);
    const runsBefore = (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
    db.close();
    const replayed = await arbor(['replay', runId]);
    expect(replayed.code).toBe(4);
    expect(replayed.stderr).toMatch(/^ARBOR_STRATEGY_REVISION: Run \w+ was searched by astar revision 1; this Arbor has revision 2/);
    expect(replayed.stderr).toContain(`arbor replay ${runId} --mode reuse`);
    const after = new Database(storePath, { readonly: true });
    expect((after.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n).toBe(runsBefore);
    after.close();
    expect((await arbor(['replay', runId, '--mode', 'reuse'])).code).toBe(0);
  });
});
