import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
let cwd: string;

function arbor(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`Build first (npm run build): ${bin} is missing`);
  cwd = mkdtempSync(join(tmpdir(), 'arbor-search-cli-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('arbor search and arbor index learn', () => {
  it('ranks the actions of an environment with scores and sources, and says retrieval is lexical only', () => {
    const { code, stdout, stderr } = arbor(['search', 'charge the payment for an order', '--k', '3']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/1\s+charge_payment\s+\d+\.\d{3}\s+typescript/);
    expect(stdout.trim().split('\n')).toHaveLength(4);
    expect(stderr).toContain('lexical retrieval only');
  });

  it('prints an empty result for an absurd query, with exit 0', () => {
    const { code, stdout } = arbor(['search', 'zzqx vvbn', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ hits: [] });
  });

  it('learns labelled pairs, and --explain shows the past task that matched', () => {
    writeFileSync(join(cwd, 'pairs.jsonl'), '{"query": "is my stuff on its way yet?", "actions": ["ship_order"]}\n');
    const learned = arbor(['index', 'learn', 'pairs.jsonl']);
    expect(learned.code).toBe(0);
    expect(learned.stdout).toContain('Learned 1 labelled pair(s)');
    const { stdout } = arbor(['search', 'is my stuff on its way', '--k', '1', '--explain']);
    expect(stdout).toMatch(/1\s+ship_order/);
    expect(stdout).toContain('past task (similarity');
    expect(stdout).toContain('is my stuff on its way yet?');
    const without = arbor(['search', 'is my stuff on its way', '--k', '1', '--no-experience', '--json']);
    expect((JSON.parse(without.stdout) as { hits: { name: string }[] }).hits[0]?.name).not.toBe('ship_order');
  });

  it('rejects a malformed pairs file with its line number and learns nothing', () => {
    writeFileSync(join(cwd, 'bad.jsonl'), '{"query": "ok", "actions": ["ship_order"]}\n{"query": 3}\n');
    const { code, stderr } = arbor(['index', 'learn', 'bad.jsonl']);
    expect(code).toBe(2);
    expect(stderr).toContain('ARBOR_INVALID_PAIRS: bad.jsonl:2');
    const shown = arbor(['index', 'show', '--json']);
    expect((JSON.parse(shown.stdout) as unknown[]).length).toBe(1);
  });
});
