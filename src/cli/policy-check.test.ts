import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../internal/test-support.js';
import { serverEntry } from '../mcp/real-servers.test-helper.js';

const workspace = useCliWorkspace('arbor-policy-cli-');
const { arbor } = workspace;

beforeAll(() => {
  const { cwd } = workspace;
  writeFileSync(
    join(cwd, 'arbor.config.json'),
    JSON.stringify({
      name: 'shop-ops',
      mcpServers: { memory: { command: process.execPath, args: [serverEntry('server-memory')], env: { MEMORY_FILE_PATH: join(cwd, 'memory.jsonl') } } },
      stages: {
        initial: 'open',
        stages: { open: { allow: ['memory.*', 'get_order', 'reserve_stock', 'payments.*'] }, reserved: { allow: ['charge_payment', 'get_order'] } },
        transitions: [{ from: 'open', on: 'reserve_stock', to: 'reserved' }],
      },
      policy: {
        rules: [
          { id: 'keep-memories', decision: 'deny', action: 'memory.delete_*', reason: 'memories are kept for audit' },
          { id: 'big-refunds', decision: 'ask', action: 'payments.refund', args: { amountCents: { min: 10000 } } },
          { id: 'reads', decision: 'allow', effect: 'read' },
        ],
      },
    }),
  );
});

describe('arbor policy check', () => {
  it('names the deciding rule and why, for a tool of a real MCP server from the config (exit 3: blocked)', () => {
    const { code, stdout } = arbor(['policy', 'check', 'memory.delete_entities', '{"entityNames":["Ada"]}']);
    expect(code).toBe(3);
    expect(stdout).toContain('BLOCKED  memory.delete_entities {"entityNames":["Ada"]}  (irreversible, mcp:memory)');
    expect(stdout).toContain('Policy (first-match): deny by rule keep-memories');
    expect(stdout).toContain('rule keep-memories (deny) is the first rule that matches: action "memory.delete_entities" matches "memory.delete_*". memories are kept for audit');
    expect(stdout).toMatch(/→ keep-memories\s+deny\s+✓ action/);
    expect(stdout).toContain('Stage open: allowed');
  });

  it('explains an argument-dependent ask for an action described on the command line, as JSON', () => {
    const big = arbor(['policy', 'check', 'payments.refund', '{"amountCents":25000}', '--effect', 'write', '--source', 'openapi:payments', '--json']);
    expect(big.code).toBe(0);
    const decided = JSON.parse(big.stdout) as { verdict: string; policy: { rule: string; decision: string; reason: string }; source: unknown };
    expect(decided).toMatchObject({ verdict: 'needs approval', source: { kind: 'openapi', name: 'payments' }, policy: { rule: 'big-refunds', decision: 'ask' } });
    expect(decided.policy.reason).toContain('argument amountCents 25000 matches >= 10000');
    const small = JSON.parse(arbor(['policy', 'check', 'payments.refund', '{"amountCents":500}', '--effect', 'write', '--json']).stdout) as { verdict: string; policy: { rule: string } };
    expect(small).toMatchObject({ verdict: 'allowed', policy: { rule: 'default' } });
  });

  it('checks the stage: an action of the built-in demo outside the initial stage is blocked, allowed in its stage', () => {
    const early = arbor(['policy', 'check', 'charge_payment', '{"orderId":"ord-1001","amountCents":14700}', '-e', 'demo/orders']);
    expect(early.code).toBe(3);
    expect(early.stdout).toContain('Stage open: not allowed (stage "open" does not list it)');
    const later = arbor(['policy', 'check', 'charge_payment', '{"orderId":"ord-1001","amountCents":14700}', '-e', 'demo/orders', '--stage', 'reserved']);
    expect(later.code).toBe(0);
    expect(later.stdout).toContain('NEEDS APPROVAL');
    expect(later.stdout).toContain('Policy (first-match): allow by the default');
  });

  it('gives typed one-line errors for bad input', () => {
    const badJson = arbor(['policy', 'check', 'get_order', '{orderId}', '-e', 'demo/orders']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^ARBOR_USAGE: args is not valid JSON/);
    const unknown = arbor(['policy', 'check', 'get_ordr', '{}', '-e', 'demo/orders']);
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toContain('No action named "get_ordr" in environment "demo/orders"');
    expect(unknown.stderr).toContain('"get_order"');
    const stage = arbor(['policy', 'check', 'get_order', '{}', '-e', 'demo/orders', '--stage', 'limbo']);
    expect(stage.code).toBe(2);
    expect(stage.stderr).toContain('"limbo" is not a stage of stages');
  });
});
