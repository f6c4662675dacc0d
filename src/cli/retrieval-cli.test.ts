import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../internal/test-support.js';

const workspace = useCliWorkspace('arbor-search-cli-');
const { arbor } = workspace;

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
    writeFileSync(join(workspace.cwd, 'pairs.jsonl'), '{"query": "is my stuff on its way yet?", "actions": ["ship_order"]}\n');
    const learned = arbor(['index', 'learn', 'pairs.jsonl']);
    expect(learned.code).toBe(0);
    expect(learned.stdout).toContain('Learned 1 labelled pair(s)');
    const { stdout } = arbor(['search', 'is my stuff on its way', '--k', '1', '--explain']);
    expect(stdout).toMatch(/1\s+ship_order/);
    expect(stdout).toContain('past task (similarity');
    expect(stdout).toContain('is my stuff on its way yet?');
    expect(stdout).toMatch(/set model \(probability 1\.00; terms .*\): ship_order/);
    const without = arbor(['search', 'is my stuff on its way', '--k', '1', '--no-experience', '--json']);
    expect((JSON.parse(without.stdout) as { hits: { name: string }[] }).hits[0]?.name).not.toBe('ship_order');
  });

  it('rejects a malformed pairs file with its line number and learns nothing', () => {
    writeFileSync(join(workspace.cwd, 'bad.jsonl'), '{"query": "ok", "actions": ["ship_order"]}\n{"query": 3}\n');
    const { code, stderr } = arbor(['index', 'learn', 'bad.jsonl']);
    expect(code).toBe(2);
    expect(stderr).toContain('ARBOR_INVALID_PAIRS: bad.jsonl:2');
    const shown = arbor(['index', 'show', '--json']);
    expect((JSON.parse(shown.stdout) as unknown[]).length).toBe(1);
  });
});
