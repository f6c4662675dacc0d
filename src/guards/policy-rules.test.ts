import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction, type ActionSource, type Effect } from '../actions/index.js';
import { ApprovalRequiredError, PolicyDeniedError } from '../errors/index.js';
import { Executor } from '../execution/index.js';
import { useTempStore } from '../internal/test-support.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { definePolicy, policyGuard, type PolicyDefinition } from './index.js';

let store: SqliteStore;
useTempStore((opened) => {
  store = opened;
});

const rules: PolicyDefinition = {
  rules: [
    { id: 'no-system-files', decision: 'deny', action: 'fs.*', args: { path: ['/etc/**', '/root/**'] }, reason: 'system files are off limits' },
    { id: 'big-refunds', decision: 'ask', action: 'payments.refund', args: { amountCents: { min: 10_000 } } },
    { id: 'reads', decision: 'allow', effect: 'read' },
    { id: 'untrusted-servers', decision: 'deny', source: { kind: 'mcp', name: 'scratch-*' } },
    { id: 'generated', decision: 'ask', source: { kind: 'generated' } },
    { id: 'irreversible-mcp', decision: 'ask', effect: 'irreversible', source: { kind: 'mcp' } },
  ],
};

const query = (action: string, effect: Effect, source: ActionSource, input: unknown = {}) => ({ action, effect, source, input });

describe('policy rules (first match)', () => {
  it('names the deciding rule and says why', () => {
    const policy = definePolicy({ ...rules, rules: rules.rules.map((rule) => (rule.id === 'no-system-files' ? { ...rule, args: { path: '/etc/**' } } : rule)) });
    const denied = policy.decide(query('fs.read_text_file', 'read', { kind: 'mcp', name: 'fs' }, { path: '/etc/passwd' }));
    expect(denied).toMatchObject({ decision: 'deny', rule: 'no-system-files', index: 0, mode: 'first-match' });
    expect(denied.reason).toBe(
      'rule no-system-files (deny) is the first rule that matches: action "fs.read_text_file" matches "fs.*"; argument path "/etc/passwd" matches "/etc/**". system files are off limits',
    );
    const read = policy.decide(query('fs.read_text_file', 'read', { kind: 'mcp', name: 'fs' }, { path: '/srv/a.txt' }));
    expect(read).toMatchObject({ decision: 'allow', rule: 'reads' });
    expect(read.evaluations[0]?.conditions[1]).toEqual({ condition: 'args.path', matched: false, detail: 'argument path "/srv/a.txt" does not match "/etc/**"' });
  });

  it('matches effect classes, sources (kind and name) and argument ranges', () => {
    const policy = definePolicy({ rules: rules.rules.slice(1) });
    expect(policy.decide(query('payments.refund', 'irreversible', { kind: 'openapi', name: 'payments' }, { amountCents: 25_000 }))).toMatchObject({ decision: 'ask', rule: 'big-refunds' });
    expect(policy.decide(query('payments.refund', 'irreversible', { kind: 'openapi', name: 'payments' }, { amountCents: 500 }))).toMatchObject({ decision: 'allow', rule: 'default' });
    expect(policy.decide(query('scratch-1.write', 'write', { kind: 'mcp', name: 'scratch-1' }))).toMatchObject({ decision: 'deny', rule: 'untrusted-servers' });
    expect(policy.decide(query('scratch-1.list', 'read', { kind: 'mcp', name: 'scratch-1' }))).toMatchObject({ decision: 'allow', rule: 'reads' });
    expect(policy.decide(query('tool_7', 'write', { kind: 'generated', name: 'run-1' }))).toMatchObject({ decision: 'ask', rule: 'generated' });
    expect(policy.decide(query('memory.delete_entities', 'irreversible', { kind: 'mcp', name: 'memory' }))).toMatchObject({ decision: 'ask', rule: 'irreversible-mcp' });
    const fallback = policy.decide(query('local', 'write', { kind: 'typescript' }));
    expect(fallback).toMatchObject({ decision: 'allow', rule: 'default', index: -1 });
    expect(fallback.reason).toBe('no rule matches "local", so the default (allow) applies');
  });

  it('matches any element of an array argument, and checks presence, equality and membership', () => {
    const policy = definePolicy({
      default: 'deny',
      rules: [
        { id: 'vip', decision: 'deny', args: { 'recipients[]': '*@competitor.com' } },
        { id: 'no-cc', decision: 'ask', args: { cc: { present: true } } },
        { id: 'team', decision: 'allow', args: { team: { in: ['core', 'infra'] }, urgent: { equals: false } } },
        { id: 'ticket', decision: 'allow', args: { ticket: { regex: '^[A-Z]+-\\d+$' } } },
      ],
    });
    const mail = (input: unknown) => policy.decide(query('mail.send', 'irreversible', { kind: 'typescript' }, input)).rule;
    expect(mail({ recipients: ['a@us.com', 'b@competitor.com'] })).toBe('vip');
    expect(mail({ recipients: ['a@us.com'], cc: 'x' })).toBe('no-cc');
    expect(mail({ team: 'core', urgent: false })).toBe('team');
    expect(mail({ team: 'core', urgent: true })).toBe('default');
    expect(mail({ ticket: 'OPS-12' })).toBe('ticket');
    expect(mail({ ticket: 'ops 12' })).toBe('default');
  });

  it('rejects malformed rules with the field named', () => {
    expect(() => definePolicy({ rules: [{ decision: 'maybe' } as never] })).toThrow(/rules\.0\.decision/);
    expect(() => definePolicy({ rules: [{ decision: 'deny', args: { x: { regex: '(' } } }] })).toThrow(/not a valid regular expression/);
    expect(() => definePolicy({ rules: [{ decision: 'deny', id: 'a' }, { decision: 'allow', id: 'a' }] })).toThrow(/"a" is used twice/);
    expect(() => definePolicy({ rules: [{ decision: 'deny', actions: 'x' } as never] })).toThrow(/Unrecognized key/);
  });

  it('cannot be changed after it is defined', () => {
    const definition: PolicyDefinition = { rules: [{ decision: 'deny', action: 'danger' }] };
    const policy = definePolicy(definition);
    (definition.rules[0] as { decision: string }).decision = 'allow';
    expect(policy.decide(query('danger', 'write', { kind: 'typescript' })).decision).toBe('deny');
    expect(() => {
      (policy.rules[0] as { decision: string }).decision = 'allow';
    }).toThrow(TypeError);
    expect(Object.isFrozen(policy.rules)).toBe(true);
  });
});

describe('policy rules (most specific)', () => {
  it('lets the most specific matching rule decide, and the cautious decision win ties', () => {
    const policy = definePolicy({
      mode: 'most-specific',
      rules: [
        { id: 'all-fs', decision: 'deny', action: 'fs.*' },
        { id: 'fs-reads', decision: 'allow', action: 'fs.*', effect: 'read' },
        { id: 'one-tool', decision: 'allow', action: 'fs.write_file', args: { path: '/tmp/**' } },
        { id: 'tie-allow', decision: 'allow', action: 'net.get' },
        { id: 'tie-ask', decision: 'ask', action: 'net.get' },
      ],
    });
    const decide = (action: string, effect: Effect, input: unknown = {}) => policy.decide(query(action, effect, { kind: 'mcp', name: 'fs' }, input));
    expect(decide('fs.read_text_file', 'read').rule).toBe('fs-reads');
    expect(decide('fs.write_file', 'irreversible', { path: '/tmp/x' }).rule).toBe('one-tool');
    expect(decide('fs.write_file', 'irreversible', { path: '/home/x' }).rule).toBe('all-fs');
    const tie = decide('net.get', 'read');
    expect(tie).toMatchObject({ rule: 'tie-ask', decision: 'ask' });
    expect(tie.reason).toContain('is the most specific matching rule (specificity 4)');
  });
});

describe('couldAllow (what planners may be shown)', () => {
  it('is false only when a rule that ignores arguments denies the action outright', () => {
    const policy = definePolicy({ rules: rules.rules });
    const source = { kind: 'mcp', name: 'fs' };
    expect(policy.couldAllow({ action: 'fs.write_file', effect: 'irreversible', source })).toBe(true);
    expect(policy.couldAllow({ action: 'scratch-2.write', effect: 'write', source: { kind: 'mcp', name: 'scratch-2' } })).toBe(false);
    expect(definePolicy({ default: 'deny', rules: [] }).couldAllow({ action: 'x', effect: 'read', source })).toBe(false);
    expect(definePolicy({ mode: 'most-specific', rules: [{ decision: 'deny', action: 'x*' }, { decision: 'allow', action: 'x1' }] }).couldAllow({ action: 'x1', effect: 'read', source })).toBe(true);
    expect(definePolicy({ mode: 'most-specific', rules: [{ decision: 'deny', action: 'x1' }, { decision: 'allow', action: 'x*' }] }).couldAllow({ action: 'x1', effect: 'read', source })).toBe(false);
  });
});

describe('policyGuard in the executor', () => {
  function space() {
    const ran: string[] = [];
    const act = (name: string, effect: Effect, source: ActionSource) =>
      defineAction({ name, description: name, input: z.object({ path: z.string().optional(), amountCents: z.number().optional() }), effect, source, run: () => { ran.push(name); return null; } });
    return {
      ran,
      actions: new ActionSpace([
        act('fs.read_text_file', 'read', { kind: 'mcp', name: 'fs' }),
        act('fs.write_file', 'write', { kind: 'mcp', name: 'fs' }),
        act('payments.refund', 'write', { kind: 'openapi', name: 'payments' }),
      ]),
    };
  }

  it('records every decision: allow with its rule, deny as blocked, ask approved or blocked', async () => {
    const { actions, ran } = space();
    const asked: string[] = [];
    const guard = policyGuard(definePolicy(rules), {
      approval: (request) => {
        asked.push(`${request.action} ${JSON.stringify(request.input)}`);
        return { approved: (request.input as { amountCents: number }).amountCents < 50_000, by: 'finance-bot', reason: 'limit 50000' };
      },
    });
    const run = await new Executor({ store, actions, guards: [guard] }).startRun({ stopOnBlocked: false });
    expect((await run.execute('fs.read_text_file', { path: '/srv/a' })).ok).toBe(true);
    const denied = await run.execute('fs.write_file', { path: '/etc/shadow' });
    expect(denied.error).toBeInstanceOf(PolicyDeniedError);
    expect(denied.error).toMatchObject({ code: 'ARBOR_POLICY_DENIED', rule: 'no-system-files' });
    expect((await run.execute('payments.refund', { amountCents: 20_000 })).ok).toBe(true);
    const refused = await run.execute('payments.refund', { amountCents: 90_000 });
    expect(refused.error).toBeInstanceOf(ApprovalRequiredError);
    expect(ran).toEqual(['fs.read_text_file', 'payments.refund']);
    expect(asked).toEqual(['payments.refund {"amountCents":20000}', 'payments.refund {"amountCents":90000}']);

    const steps = await store.listSteps(run.id);
    expect(steps.map((step) => [step.status, (step.metadata.guards as Record<string, Record<string, unknown>>).policy])).toEqual([
      ['ok', { decision: 'allow', rule: 'reads', mode: 'first-match', reason: expect.stringContaining('effect read is read') }],
      ['blocked', expect.objectContaining({ allow: false, code: 'ARBOR_POLICY_DENIED', decision: 'deny', rule: 'no-system-files' })],
      ['ok', expect.objectContaining({ decision: 'ask', rule: 'big-refunds', approved: true, by: 'finance-bot' })],
      ['blocked', expect.objectContaining({ code: 'ARBOR_APPROVAL_REQUIRED', decision: 'ask', rule: 'big-refunds', approved: false, by: 'finance-bot' })],
    ]);
  });

  it('blocks an ask as needing approval when nobody can be asked', async () => {
    const { actions } = space();
    const run = await new Executor({ store, actions, guards: [policyGuard(definePolicy(rules))] }).startRun({ stopOnBlocked: false });
    const result = await run.execute('payments.refund', { amountCents: 10_000 });
    expect(result).toMatchObject({ status: 'blocked', error: { code: 'ARBOR_APPROVAL_REQUIRED' } });
    expect(result.error?.message).toContain('no approval policy was configured');
  });
});
