import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionLibrary } from '../../library/index.js';
import { SqliteStore } from '../../provenance/sqlite/sqlite-store.js';

const bin = fileURLToPath(new URL('../../../dist/cli/bin.js', import.meta.url));
let dir: string;
let storePath: string;

function arbor(args: string[]) {
  const result = spawnSync(process.execPath, [bin, '--store', storePath, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`Build first (npm run build): ${bin} is missing`);
  dir = mkdtempSync(join(tmpdir(), 'arbor-cli-generated-'));
  storePath = join(dir, 'arbor.db');
  const store = SqliteStore.open(storePath);
  await store.createRun({ id: '01ORIGINRUN0000000000000000', status: 'succeeded', task: 'sum orders', environment: null, parentRunId: null, forkSeq: null, createdAt: 1, endedAt: 2, metadata: {} });
  // The code step a user's saved function was proven in: a successful run_code step of that run.
  const input = JSON.stringify({ code: 'async function ({ n }) {\n  return n * 2;\n}\nreturn 1;' });
  await store.insertStep({
    id: '01ORIGINRUN0000000000000000:0', runId: '01ORIGINRUN0000000000000000', seq: 0, parentStepId: null, depth: 0, kind: 'action', action: 'run_code', effect: 'read',
    inputJson: input, inputHash: 'h0', outputJson: '{"stdout":"","result":1,"toolCalls":[]}', outputHash: 'h1', status: 'ok', error: null,
    startedAt: 1, endedAt: 2, durationUs: 1, attempt: 1, nondeterminism: [], metadata: {},
  });
  const library = new ActionLibrary({ store });
  await library.save({ name: 'order_totals', description: 'Sum the totals of several orders.', code: 'async function ({ orderIds }) {\n  return orderIds.length;\n}', origin: { runId: '01ORIGINRUN0000000000000000' }, createdBy: 'agent' });
  await library.save({ name: 'order_totals', description: 'Sum the totals of several orders.', code: 'async function ({ orderIds }) {\n  return orderIds.length * 2;\n}', createdBy: 'user' });
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('arbor actions (generated)', () => {
  it('list --generated shows the latest version of each saved action', () => {
    const { code, stdout } = arbor(['actions', 'list', '--generated']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/ACTION\s+VERSION\s+EFFECT\s+BY\s+ORIGIN RUN/);
    expect(stdout).toMatch(/order_totals\s+2\s+write\s+user\s+-\s+Sum the totals/);
    const json = JSON.parse(arbor(['actions', 'list', '--generated', '--json']).stdout) as { name: string; version: number }[];
    expect(json.map((record) => `${record.name}@${record.version}`)).toEqual(['order_totals@2']);
  });

  it('show prints the source and origin of a saved action, any version', () => {
    const latest = arbor(['actions', 'show', 'order_totals']);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toContain('order_totals@2  (generated, write; 2 versions)');
    expect(latest.stdout).toContain('Origin: saved outside any run');
    expect(latest.stdout).toContain('return orderIds.length * 2;');
    const first = arbor(['actions', 'show', 'order_totals@1']);
    expect(first.stdout).toContain('Origin: run 01ORIGINRUN0000000000000000');
    expect(first.stdout).toMatch(/Saved: .* by agent/);
    expect(first.stdout).toContain('async function ({ orderIds }) {\n  return orderIds.length;\n}');
    expect(JSON.parse(arbor(['actions', 'show', 'order_totals', '--json-schema']).stdout)).toMatchObject({ required: ['orderIds'] });
  });

  it('save keeps a user\'s function as a new action, checked against the code step it came from', async () => {
    writeFileSync(join(dir, 'double.js'), 'async function ({ n }) {\n  return n * 2;\n}\n');
    const saved = arbor(['actions', 'save', 'double', '--file', 'double.js', '--description', 'Doubles a number.', '--example', '{"n":2}', '--from', '01ORIGINRUN0000000000000000:0']);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain('Saved double@1 (read).');
    const shown = arbor(['actions', 'show', 'double']);
    expect(shown.stdout).toContain('Origin: run 01ORIGINRUN0000000000000000, code step 01ORIGINRUN0000000000000000:0');
    expect(shown.stdout).toMatch(/"n": \{\s+"type": "number"/);
    expect(arbor(['actions', 'save', 'double', '--file', 'double.js', '--description', 'Doubles a number.', '--example', '{"n":2}']).stdout).toContain('already holds this function');

    writeFileSync(join(dir, 'broken.js'), 'async function ({ n ) {}');
    const broken = arbor(['actions', 'save', 'broken', '--file', 'broken.js', '--description', 'x']);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/^ARBOR_INVALID_DEFINITION: The function does not parse/m);
  });

  it('still says which names exist when neither the environment nor the library has one', () => {
    const { code, stderr } = arbor(['actions', 'show', 'order_total']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('ARBOR_NO_SUCH_ACTION');
  });
});
