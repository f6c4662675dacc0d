import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { loadConfig, parseConfig } from '../config/index.js';
import { ArborError } from '../errors/index.js';
import { approveAll, Executor } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { guardsFromConfig } from './index.js';

let dir: string;
let store: SqliteStore;
let cleanup: () => Promise<void>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-guards-config-'));
  mkdirSync(join(dir, 'work'));
  ({ store, cleanup } = createTempStore());
});
afterEach(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const config = () => ({
  name: 'ops',
  stages: {
    initial: 'investigate',
    stages: {
      investigate: { allow: ['ops.read', 'ops.shell', 'ops.restart'] },
      mitigated: { allow: ['ops.read', 'ops.close'] },
    },
    transitions: [{ from: 'investigate', on: 'ops.restart', to: 'mitigated' }],
  },
  masks: {
    'ops.read': { path: { pathUnder: join(dir, 'work') } },
    'ops.shell': { command: { grammar: ['uptime', 'df [-h]'] } },
    'ops.restart': { service: { valuesAt: 'services[].name', description: 'a running service' } },
  },
  policy: {
    rules: [
      { id: 'no-restart-db', decision: 'deny', action: 'ops.restart', args: { service: 'db*' }, reason: 'databases are restarted by people' },
      { id: 'close-needs-ok', decision: 'ask', action: 'ops.close' },
    ],
  },
});

function opsActions(ran: string[]) {
  const act = (name: string, input: z.ZodObject) =>
    defineAction({ name, description: name, input, effect: 'write', run: (value) => { ran.push(`${name} ${JSON.stringify(value)}`); return null; } });
  return new ActionSpace([
    act('ops.read', z.object({ path: z.string() })),
    act('ops.shell', z.object({ command: z.string() })),
    act('ops.restart', z.object({ service: z.string() })),
    act('ops.close', z.object({})),
  ]);
}

describe('stages, masks and policy in arbor.config.json', () => {
  it('load with the config and guard an executor as the file says, recording every decision', async () => {
    writeFileSync(join(dir, 'arbor.config.json'), JSON.stringify(config()));
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded?.config.policy?.rules).toHaveLength(2);
    const ran: string[] = [];
    const guards = guardsFromConfig(loaded!.config, { approval: approveAll });
    const state = { services: [{ name: 'web' }, { name: 'db-main' }] };
    const run = await new Executor({ store, actions: opsActions(ran), observe: () => state, guards: [...guards.guards] }).startRun({ stopOnBlocked: false });
    const codes = async (name: string, input: unknown) => (await run.execute(name, input)).error?.code ?? 'ok';
    expect(await codes('ops.read', { path: join(dir, 'work', 'log.txt') })).toBe('ok');
    expect(await codes('ops.read', { path: '/etc/shadow' })).toBe('ARBOR_ARGUMENT_MASKED');
    expect(await codes('ops.shell', { command: 'df -h' })).toBe('ok');
    expect(await codes('ops.shell', { command: 'df -h; reboot' })).toBe('ARBOR_ARGUMENT_MASKED');
    expect(await codes('ops.close', {})).toBe('ARBOR_STAGE_VIOLATION');
    expect(await codes('ops.restart', { service: 'cache' })).toBe('ARBOR_ARGUMENT_MASKED');
    expect(await codes('ops.restart', { service: 'db-main' })).toBe('ARBOR_POLICY_DENIED');
    expect(await codes('ops.restart', { service: 'web' })).toBe('ok');
    expect(await codes('ops.close', {})).toBe('ok');
    expect(ran).toEqual([`ops.read {"path":"${join(dir, 'work', 'log.txt')}"}`, 'ops.shell {"command":"df -h"}', 'ops.restart {"service":"web"}', 'ops.close {}']);
    const last = (await store.listSteps(run.id)).at(-1);
    expect(last?.metadata.guards).toMatchObject({ stages: { stage: 'mitigated' }, policy: { decision: 'ask', rule: 'close-needs-ok', approved: true } });
  });

  it('fail to load with the file and the field named when a section is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...config(), stages: { ...config().stages, initial: 'nowhere' } }, /stages\.initial: "nowhere" is not a declared stage/],
      [{ ...config(), stages: { ...config().stages, transitions: [{ from: 'investigate', on: 'x', to: 'gone' }] } }, /stages\.transitions\[0\]\.to: "gone" is not a declared stage/],
      [{ ...config(), policy: { rules: [{ decision: 'perhaps' }] } }, /policy\.rules\[0\]\.decision/],
      [{ ...config(), policy: { rules: [{ decision: 'deny', args: { x: { regex: '[' } } }] } }, /policy\.rules\[0\]\.args\.x\.regex: is not a valid regular expression/],
      [{ ...config(), masks: { 'ops.read': { path: { pathUnder: '' } } } }, /masks\.ops\.read\.path/],
      [{ ...config(), policy: { rules: [], mode: 'best' } }, /policy\.mode/],
    ];
    for (const [value, message] of cases) {
      let caught: unknown;
      try {
        parseConfig(value, join(dir, 'arbor.config.json'));
      } catch (error) {
        caught = error;
      }
      expect(ArborError.isInstance(caught), String(message)).toBe(true);
      expect((caught as ArborError).code).toBe('ARBOR_CONFIG_INVALID');
      expect((caught as ArborError).message).toMatch(message);
    }
  });
});
