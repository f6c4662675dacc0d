import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../test-support.js';

let cwd: string;

function arbor(args: string[]) {
  return runCliInProcess(join(cwd, 'arbor.db'), args);
}

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'arbor-plan-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('arbor plan', () => {
  it('searches one task, prints the plan and the tree, and says the policy is a simulation', async () => {
    const { code, stdout } = await arbor(['plan', 'fsm/maze', 'gate-to-vault', '--strategy', 'astar', '--yes']);
    expect(code).toBe(0);
    expect(stdout).toContain('Outcome: succeeded');
    expect(stdout).toContain('(a SIMULATION)');
    expect(stdout).toMatch(/Tree: \d+ nodes \(.*expanded.*\), depth \d+/);
    expect(stdout).toMatch(/Spent: \d+ model calls, \d+ tokens, \d+ expansions/);
    const runId = /Run (\w{26})/.exec(stdout)?.[1] ?? '';
    expect((await arbor(['show', runId])).stdout).toContain('walk');
  });

  it('hands the plan back at an irreversible step without --yes (exit 3), and prints JSON with --json', async () => {
    const { code, stdout } = await arbor(['plan', 'fsm/checkout', 'order-01-poster', '--strategy', 'best-first', '--accuracy', '1', '--noise', '0', '--json']);
    expect(code).toBe(3);
    const result = JSON.parse(stdout) as { status: string; pending: { action: string }; simulatedPolicy: boolean; spent: { modelCalls: number } };
    expect(result).toMatchObject({ status: 'awaiting-approval', pending: { action: 'place_order' }, simulatedPolicy: true });
  });

  it('stops within its budget and refuses bad options with a usage error', async () => {
    const { code, stdout } = await arbor(['plan', 'fsm/warehouse', 'ship-bolts-nuts-gears', '--calls', '4', '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as { status: string; exhausted: string; spent: { modelCalls: number } };
    expect(result).toMatchObject({ status: 'budget-exhausted', exhausted: 'modelCalls' });
    expect(result.spent.modelCalls).toBeLessThanOrEqual(4);
    const bad = await arbor(['plan', 'fsm/warehouse', 'ship-bolts-nuts-gears', '--accuracy', '2', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ARBOR_USAGE: --accuracy must be a number from 0 to 1/);
    expect((await arbor(['plan', 'fsm/warehouse', 'no-such-task', '--json'])).stderr).toMatch(/ARBOR_USAGE: Environment "fsm\/warehouse" has no task "no-such-task" \(Known tasks: ship-/);
    expect((await arbor(['plan', 'fsm/warehouse', 'ship-bolts-nuts-gears', '--strategy', 'dfs', '--json'])).stderr).toMatch(/Unknown planning strategy "dfs"/);
  });
});

describe('arbor plan --retrieval', () => {
  it('shows the policy only the top k actions retrieved for each state: far fewer tokens, same outcome', async () => {
    const all = JSON.parse((await arbor(['plan', 'fsm/saas-admin', 'onboard-ana-1', '--accuracy', '1', '--noise', '0', '--yes', '--json'])).stdout) as { status: string; spent: { tokens: number }; retrieval: null };
    const { code, stdout } = await arbor(['plan', 'fsm/saas-admin', 'onboard-ana-1', '--accuracy', '1', '--noise', '0', '--retrieval', 'lexical', '--k', '10', '--yes', '--json']);
    expect(code).toBe(0);
    const retrieved = JSON.parse(stdout) as { status: string; spent: { tokens: number }; retrieval: { strategy: string; k: number } };
    expect(all.status).toBe('succeeded');
    expect(retrieved).toMatchObject({ status: 'succeeded', retrieval: { strategy: 'lexical', k: 10 } });
    // The prompt carries 10 actions instead of 1,009.
    expect(retrieved.spent.tokens * 10).toBeLessThan(all.spent.tokens);
    expect((await arbor(['plan', 'fsm/saas-admin', 'onboard-ana-1', '--retrieval', 'lexical', '--k', '0'])).stderr).toMatch(/^ARBOR_USAGE: --k must be a number from 1 to 10000/);
    expect((await arbor(['plan', 'fsm/saas-admin', 'onboard-ana-1', '--retrieval', 'dense'])).code).toBe(2);
  });
});

describe('arbor bench planners', () => {
  it('runs a small grid, prints the table and writes JSON and SVG labelled as a simulation', async () => {
    const { code, stdout } = await arbor(['bench', 'planners', '--tasks', '1', '--seeds', '1', '--domains', 'maze,travel', '--strategies', 'greedy,astar', '--out', join(cwd, 'results')]);
    expect(code).toBe(0);
    expect(stdout).toContain('SIMULATION');
    expect(stdout).toMatch(/\| astar \| 0\.7 \| 0\.2 \| \d+% \(\d\/2\)/);
    const report = JSON.parse(readFileSync(join(cwd, 'results', 'planners.json'), 'utf8')) as { simulated: boolean; rows: { strategy: string; domain: string; runs: number }[] };
    expect(report.simulated).toBe(true);
    expect(report.rows.filter((row) => row.domain === 'all').map((row) => [row.strategy, row.runs])).toEqual([['greedy', 2], ['astar', 2]]);
    const svg = readFileSync(join(cwd, 'results', 'planners.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('SIMULATED');
  });
});
