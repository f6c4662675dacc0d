import { afterAll, describe, expect, it } from 'vitest';
import { ArborError, UsageError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import { Sandbox, type SandboxRunOptions } from './sandbox.js';

const sandbox = new Sandbox({ maxWorkers: 2 });
afterAll(() => sandbox.close());

const fixedClock = { now: () => 1_700_000_000_000, random: () => 0.25 };

/** Tools that echo their call, the slow one settling later than the others. */
const echoTools: Pick<SandboxRunOptions, 'tools' | 'callTool'> = {
  tools: ['slow', 'fast', 'fail', 'orders.lookup'],
  callTool: async (name, input) => {
    await new Promise((resolve) => setTimeout(resolve, name === 'slow' ? 25 : 1));
    if (name === 'fail') throw new ArborError('ARBOR_TEST_FAILURE', 'it failed on purpose', { hint: 'expected' });
    return { name, input };
  },
};

async function value(code: string, options: SandboxRunOptions = {}): Promise<JsonValue | undefined> {
  const outcome = await sandbox.run(code, { clock: fixedClock, ...echoTools, ...options });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

describe('Sandbox', () => {
  it('returns the value of a top-level return and captures console output line by line', async () => {
    const outcome = await sandbox.run('console.log("a", 1, { b: [2] }, undefined);\nconsole.error(new TypeError("bad"));\nreturn { sum: 1 + 2 };');
    expect(outcome).toMatchObject({ ok: true, value: { sum: 3 }, stdout: 'a 1 {"b":[2]} undefined\nerror: TypeError: bad' });
  });

  it('exposes tools as async functions under tools, callTool and plain globals', async () => {
    expect(await value('return [await tools.fast({ n: 1 }), await fast({ n: 2 }), await callTool("orders.lookup", { n: 3 })]')).toEqual([
      { name: 'fast', input: { n: 1 } },
      { name: 'fast', input: { n: 2 } },
      { name: 'orders.lookup', input: { n: 3 } },
    ]);
    expect(await value('return typeof globalThis["orders.lookup"]')).toBe('undefined');
  });

  it('reaches any tool of a huge space by name without listing them all in every run', async () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `api.op_${i}`);
    const started = performance.now();
    const outcome = await sandbox.run('return [Object.keys(tools).length, (await tools["api.op_19999"]({ n: 1 })).name, typeof api_op_1];', {
      tools: names,
      callTool: async (name) => ({ name }),
    });
    expect(outcome).toMatchObject({ ok: true, value: [0, 'api.op_19999', 'undefined'] });
    expect(performance.now() - started).toBeLessThan(5000);
    // A small space is listed, and its identifier names are plain globals too.
    expect(await value('return [Object.keys(tools), "fast" in tools, "nope" in tools, typeof slow]')).toEqual([['slow', 'fast', 'fail', 'orders.lookup'], true, false, 'function']);
  });

  it('runs tool calls one at a time in the order the code made them, whatever order they would settle in', async () => {
    const calls: string[] = [];
    const code = `
      const seen = [];
      await Promise.all([1, 2, 3].map(async (i) => {
        const reply = await (i === 1 ? tools.slow({ i }) : tools.fast({ i }));
        seen.push(reply.input.i);
      }));
      return seen;`;
    const result = await value(code, {
      callTool: async (name, input) => {
        calls.push(`${name}:start`);
        await new Promise((resolve) => setTimeout(resolve, name === 'slow' ? 25 : 1));
        calls.push(`${name}:end`);
        return { name, input };
      },
    });
    expect(result).toEqual([1, 2, 3]);
    expect(calls).toEqual(['slow:start', 'slow:end', 'fast:start', 'fast:end', 'fast:start', 'fast:end']);
  });

  it('turns a failed tool call into a ToolError the code can catch, with its code', async () => {
    expect(await value('try { await tools.fail({}) } catch (error) { return [error.name, error.code, error.tool, error.message, error instanceof ToolError] }')).toEqual([
      'ToolError',
      'ARBOR_TEST_FAILURE',
      'fail',
      'it failed on purpose',
      true,
    ]);
  });

  it('reads Date and Math.random from the given clock, in UTC, and draws one seed for many random numbers', async () => {
    let seeds = 0;
    const clock = { now: () => 1_700_000_000_000, random: () => (seeds++, 0.5) };
    const code = `return [Date.now(), new Date().toISOString(), String(new Date(0)), new Date(2024, 0, 2, 3).toISOString(),
      new Date(0).getHours(), new Date().getTimezoneOffset(), Array.from({ length: 1000 }, () => Math.random()).every((x) => x >= 0 && x < 1)]`;
    expect(await value(code, { clock })).toEqual([
      1_700_000_000_000,
      '2023-11-14T22:13:20.000Z',
      'Thu, 01 Jan 1970 00:00:00 GMT',
      '2024-01-02T03:00:00.000Z',
      0,
      0,
      true,
    ]);
    expect(seeds).toBe(1);
  });

  it('gives the same result for the same code, tool results and clock (what a replay relies on)', async () => {
    const code = 'const xs = []; for (let i = 0; i < 5; i++) xs.push(Math.random()); xs.push(Date.now(), (await tools.fast({ at: new Date() })).input.at); return xs;';
    const first = await value(code);
    expect(await value(code)).toEqual(first);
    expect(await value(code, { clock: { ...fixedClock, random: () => 0.75 } })).not.toEqual(first);
  });

  it('fires timers in virtual time, in order of delay, without waiting', async () => {
    const started = performance.now();
    expect(await value('const out = []; setTimeout(() => out.push("b"), 5000); const t = setTimeout(() => out.push("never"), 1); clearTimeout(t); setTimeout(() => out.push("a"), 10); await new Promise((r) => setTimeout(r, 6000)); return out;')).toEqual([
      'a',
      'b',
    ]);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('calls a function entry with its input (how saved actions run)', async () => {
    expect(await value('async function total({ prices }) {\n  return prices.reduce((a, b) => a + b, 0);\n}', { entry: { input: { prices: [1, 2, 3] } } })).toBe(6);
    const notAFunction = await sandbox.run('42', { entry: { input: {} } });
    expect(notAFunction.ok).toBe(false);
    expect(!notAFunction.ok && notAFunction.error.message).toMatch(/must evaluate to a function/);
  });

  it('refuses a value that is not JSON with a typed error', async () => {
    const outcome = await sandbox.run('const a = {}; a.self = a; return a;');
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.code).toBe('ARBOR_CODE_RUNTIME');
    expect(!outcome.ok && outcome.error.message).toMatch(/not JSON-serializable/);
  });

  it('runs several programs at once on separate engines', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((n) => value(`globalThis.mine = ${n}; await tools.slow({}); return globalThis.mine;`)));
    expect(results).toEqual([1, 2, 3, 4]);
  });

  it('stops a run when its signal aborts, and stays usable', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await sandbox.run('for (;;) {}', { signal: controller.signal, limits: { cpuTicks: 10_000_000, timeMs: 60_000 } });
    expect(!outcome.ok && outcome.error.code).toBe('ARBOR_CANCELLED');
    expect(await value('return 1')).toBe(1);
  });

  it('rejects limits out of range with a usage error', async () => {
    await expect(sandbox.run('1', { limits: { memoryBytes: 10 } })).rejects.toBeInstanceOf(UsageError);
    expect(() => new Sandbox({ limits: { timeMs: -1 } })).toThrow(/timeMs/);
  });
});
