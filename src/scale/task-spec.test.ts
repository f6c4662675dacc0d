import { describe, expect, it } from 'vitest';
import { BatchFileError } from '../errors/index.js';
import { parseTasks } from './task-spec.js';

describe('parseTasks', () => {
  it('reads one task per line, skipping blanks and comments, ids defaulting to line numbers', () => {
    const tasks = parseTasks(['# invoices', '{"environment":"test/ledger","task":"pay-1"}', '', '{"id":"b","environment":"e","task":"t","strategy":"astar","budget":{"modelCalls":5}}'].join('\n'));
    expect(tasks).toEqual([
      { id: '2', environment: 'test/ledger', task: 'pay-1' },
      { id: 'b', environment: 'e', task: 't', strategy: 'astar', budget: { modelCalls: 5 } },
    ]);
  });

  it('fills what a line leaves out from the defaults, the line winning', () => {
    const tasks = parseTasks('{"task":"a"}\n{"task":"b","policy":"p2","budget":{"steps":3}}', 'tasks.jsonl', { environment: 'env', policy: 'p1', budget: { steps: 9, tokens: 100 }, approve: true });
    expect(tasks).toEqual([
      { id: '1', environment: 'env', task: 'a', policy: 'p1', budget: { steps: 9, tokens: 100 }, approve: true },
      { id: '2', environment: 'env', task: 'b', policy: 'p2', budget: { steps: 3, tokens: 100 }, approve: true },
    ]);
  });

  it.each([
    ['{"environment":"e","task":"t"}\n{oops', 2, /not valid JSON/],
    ['[1, 2]', 1, /expected a JSON object/],
    ['{"environment":"e"}', 1, /invalid task: task: /],
    ['{"environment":"e","task":"t","budget":{"steps":0}}', 1, /budget\.steps/],
    ['{"environment":"e","task":"t","colour":"red"}', 1, /invalid task/],
    ['{"id":"x","environment":"e","task":"t"}\n{"id":"x","environment":"e","task":"u"}', 2, /task id "x" was already used on line 1/],
    ['\n# nothing\n', 3, /has no tasks/],
  ])('refuses a bad file with its line number: %s', (text, line, message) => {
    let error: unknown;
    try {
      parseTasks(text, 'tasks.jsonl');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BatchFileError);
    expect((error as BatchFileError).data).toMatchObject({ path: 'tasks.jsonl', line });
    expect((error as BatchFileError).message).toMatch(message);
    expect((error as BatchFileError).hint).toMatch(/Nothing was enqueued/);
  });
});
