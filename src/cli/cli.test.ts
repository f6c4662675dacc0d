import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../internal/test-support.js';

const workspace = useCliWorkspace('arbor-cli-');
const { arbor } = workspace;

describe('arbor CLI', () => {
  let runId = '';

  it('demo --yes runs the task end to end into .arbor/arbor.db and says what to look at next', () => {
    const { code, stdout, stderr } = arbor(['demo', '--yes']);
    expect(code).toBe(0);
    expect(existsSync(join(workspace.cwd, '.arbor', 'arbor.db'))).toBe(true);
    expect(stdout).toMatch(/Run \w{26} succeeded: 9 steps recorded/);
    expect(stdout).toContain('arbor show');
    expect(stdout).toContain('arbor replay');
    expect(stderr).toContain('charge_payment');
    runId = /Run (\w{26})/.exec(stdout)?.[1] ?? '';
  });

  it('demo without approval and without a terminal stops at the first irreversible step (exit 3)', () => {
    const { code, stdout } = arbor(['demo', '--json']);
    expect(code).toBe(3);
    const result = JSON.parse(stdout) as { status: string; steps: { action: string; status: string }[] };
    expect(result.status).toBe('blocked');
    expect(result.steps.at(-1)).toMatchObject({ action: 'charge_payment', status: 'blocked' });
  });

  it('runs lists runs, newest first, filterable by status', () => {
    const all = JSON.parse(arbor(['runs', '--json']).stdout) as { id: string; status: string }[];
    expect(all.map((run) => run.status)).toEqual(['blocked', 'succeeded']);
    const blocked = JSON.parse(arbor(['runs', '--json', '--status', 'blocked']).stdout) as unknown[];
    expect(blocked).toHaveLength(1);
    expect(arbor(['runs']).stdout).toMatch(/RUN\s+STATUS\s+STEPS/);
  });

  it('show prints the steps of a run found by a unique prefix', () => {
    const { code, stdout } = arbor(['show', runId.slice(0, 22)]);
    expect(code).toBe(0);
    expect(stdout).toContain(runId);
    expect(stdout).toMatch(/6\s+charge_payment\s+irreversible\s+ok/);
  });

  it('replay verify checks every reversible step, reuse reads them', () => {
    const verify = arbor(['replay', runId, '--mode', 'verify']);
    expect(verify.code).toBe(0);
    // The demo is a search: verified by searching again, up to its first commit (charge_payment).
    expect(verify.stdout).toMatch(/^Verified search \w{26} \(best-first\): the same choices, 6 of 6 steps reproduced/);
    expect(verify.stdout).toContain('stopped at the commit charge_payment (step 6), 3 later step(s) not re-executed');
    const reuse = arbor(['replay', runId, '--mode', 'reuse', '--json']);
    expect(JSON.parse(reuse.stdout)).toMatchObject({ mode: 'reuse', reused: 9 });
  });

  it('fork starts a new run from a step with a changed input', () => {
    const { code, stdout } = arbor(['fork', runId, '--at', '1', '--input', '{"sku":"cb-04"}', '--then', 'stop', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { run: { parentRunId: string; forkSeq: number }; firstDivergence: number };
    expect(result.run).toMatchObject({ parentRunId: runId, forkSeq: 1 });
    expect(result.firstDivergence).toBe(1);
  });

  it('export writes the run and its steps as JSON Lines', () => {
    const lines = arbor(['export', runId, '--format', 'jsonl']).stdout.trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ format: 'arbor-run', run: { id: runId } });
  });

  it('actions list and show describe the action space with its JSON Schema', () => {
    expect(arbor(['actions', 'list']).stdout).toMatch(/charge_payment\s+irreversible/);
    const schema = JSON.parse(arbor(['actions', 'show', 'reserve_stock', '--json-schema']).stdout) as { required: string[] };
    expect(schema.required).toEqual(['orderId']);
  });

  it('prints errors as one line with a hint and a documented exit code', () => {
    const missing = arbor(['show', 'NOSUCHRUN']);
    expect(missing.code).toBe(6);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^ARBOR_NOT_FOUND: .*\(Run "arbor runs"/);
    const badJson = arbor(['fork', runId, '--at', '1', '--input', '{oops']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^ARBOR_USAGE: --input is not valid JSON/);
    expect(arbor(['no-such-command']).code).toBe(2);
    expect(arbor(['actions', 'show', 'charge_paymnt']).stderr).toContain('Did you mean "charge_payment"');
  });

  it('refuses a corrupted store with exit code 5 and leaves it alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbor-cli-bad-'));
    const path = join(dir, 'bad.db');
    spawnSync('sh', ['-c', `head -c 4096 /dev/urandom > ${path}`]);
    const { code, stderr } = arbor(['runs', '--store', path]);
    expect(code).toBe(5);
    expect(stderr).toMatch(/^ARBOR_STORE_CORRUPT: /);
    rmSync(dir, { recursive: true, force: true });
  });
});
