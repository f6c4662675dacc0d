import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersEnvironment } from '../environments/index.js';
import { Executor } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { runSteps } from '../provenance/index.js';
import { createRunCodeAction } from './run-code-action.js';
import { Sandbox } from './sandbox.js';
import { formatCodeFeedback, runCodeWithRepair, type CodeWriterRequest } from './self-debug.js';

const sandbox = new Sandbox();
let temp: ReturnType<typeof createTempStore>;
beforeAll(() => {
  temp = createTempStore('arbor-self-debug-');
});
afterAll(async () => {
  await temp.cleanup();
  await sandbox.close();
});

function setup() {
  const environment = createOrdersEnvironment();
  environment.actions.add(createRunCodeAction({ actions: environment.actions, sandbox }));
  return new Executor({ store: temp.store, actions: environment.actions, observe: () => environment.observe() });
}

describe('runCodeWithRepair', () => {
  it('feeds each error back with its position until the code works, every try a recorded step', async () => {
    // Stands in for the model: a script of three versions, each fixing what the previous feedback showed.
    const versions = [
      'const total = 0;\nfor (const id of ["ord-1001", "ord-1002"]) {\n  const order = await tools.get_order({ orderId: id }\n  total += order.totalCents;\n}\nreturn total;',
      'const total = 0;\nfor (const id of ["ord-1001", "ord-1002"]) {\n  const order = await tools.get_order({ orderId: id });\n  total += order.totalCents;\n}\nreturn total;',
      'let total = 0;\nfor (const id of ["ord-1001", "ord-1002"]) {\n  const order = await tools.get_order({ orderId: id });\n  total += order.totalCents;\n}\nreturn total;',
    ];
    const requests: CodeWriterRequest[] = [];
    const run = await setup().startRun({ task: 'sum the order totals' });
    const result = await runCodeWithRepair(run, {
      task: 'sum the order totals',
      write: (request) => {
        requests.push({ ...request, previous: [...request.previous] });
        return versions[request.attempt - 1] as string;
      },
    });

    expect(result.ok).toBe(true);
    expect(result.output?.result).toBe(14700 + 24900);
    expect(result.attempts.map((attempt) => attempt.ok)).toEqual([false, false, true]);
    expect(result.attempts.map((attempt) => attempt.error?.code)).toEqual(['ARBOR_CODE_SYNTAX', 'ARBOR_CODE_RUNTIME', undefined]);

    // What the writer saw before its second and third tries.
    // The parser notices the missing parenthesis where the next statement begins.
    expect(requests[1]?.previous[0]?.feedback).toMatch(/^ARBOR_CODE_SYNTAX: SyntaxError at line 4, column 3: expecting ','/);
    expect(requests[1]?.previous[0]?.feedback).toContain('  3 |   const order = await tools.get_order({ orderId: id }\n> 4 |   total += order.totalCents;\n    |   ^');
    expect(requests[2]?.previous[1]?.feedback).toMatch(/^ARBOR_CODE_RUNTIME: TypeError at line 4, column \d+: 'total' is read-only/);
    expect(requests[2]?.previous[1]?.feedback).toMatch(/> 4 \| {3}total \+= order\.totalCents;\n\s+\|\s+\^/);

    const steps = (await runSteps(temp.store, run.id)).filter((step) => step.depth === 0);
    expect(steps.map((step) => [step.action, step.status])).toEqual([
      ['run_code', 'failed'],
      ['run_code', 'failed'],
      ['run_code', 'ok'],
    ]);
  });

  it('stops at the budget and returns the last error', async () => {
    const run = await setup().startRun({ task: 'never works' });
    const result = await runCodeWithRepair(run, { task: 'never works', maxAttempts: 2, write: () => 'return missing;' });
    expect(result.ok).toBe(false);
    expect(result.attempts).toHaveLength(2);
    expect(result.error?.code).toBe('ARBOR_CODE_RUNTIME');
    await expect(runCodeWithRepair(run, { task: 'x', maxAttempts: 0, write: () => '1' })).rejects.toThrow(/maxAttempts/);
  });
});

describe('formatCodeFeedback', () => {
  it('shows the failing line with a caret, the output before the error and the hint', () => {
    const feedback = formatCodeFeedback('a();\nb();\nc.d;\ne();', {
      code: 'ARBOR_CODE_RUNTIME',
      message: "TypeError at line 3, column 2: cannot read property 'd' of undefined",
      hint: 'Fix the code at that position and run it again.',
      data: { line: 3, column: 2, stdout: 'one\ntwo' },
    });
    expect(feedback).toBe(
      [
        "ARBOR_CODE_RUNTIME: TypeError at line 3, column 2: cannot read property 'd' of undefined",
        '  1 | a();',
        '  2 | b();',
        '> 3 | c.d;',
        '    |  ^',
        '  4 | e();',
        'Printed before the error:',
        'one',
        'two',
        'Hint: Fix the code at that position and run it again.',
      ].join('\n'),
    );
  });
});
