import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPrompt, PROMPT_FILES, renderPrompt, type PromptRole } from './prompts.js';

/*
 * Prompt texts are pinned: every response-cache key depends on them, so editing a released prompt would
 * silently invalidate recorded searches. Change a prompt by adding a new version file (propose.v2.md),
 * pointing PROMPT_FILES at it and pinning its hash here.
 */
const PINNED: Record<string, string> = {
  'system.v1': '775e666d71ad1e1fc38fbb5485d46dad836a2c5e9095c2b52b57b737482311e3',
  'propose.v1': 'a1e194551fbe86f09780ea9a360fb36c28f37083cb6a309cab7de801eff99c86',
  'propose-tools.v1': 'ce1361c640757361a1324eb5267ac9c259872ce189855b6ca3654a49c2aef653',
  'propose-value.v2': '42a6c0ef1b13098ce0fc5d41ddcca6eb79c6be1cc3bfd60a69edc58375ac6478',
  'evaluate.v1': 'dd5af9cff7675fa6c9e8e8afcc9a2eabb21542268a3415f2f4c19950f7bc4e38',
  'plan.v1': 'adf302d29703321191d366797ea1534d5776eba3964b6a4232a748a0d954e6d6',
  'reflect.v1': 'cb200233db99f119eb303b8f477c1fc99748f2595d70a657c8b90bf65b6c8f25',
  'repair.v1': '11e39ebf4b16267d7c9bfe7c0d25911e86e0ddedab240dbe671141d8d3d29f7c',
};

const directory = new URL('./prompts/', import.meta.url);

describe('prompt files', () => {
  it('match their pinned hashes', () => {
    for (const file of Object.values(PROMPT_FILES)) {
      const text = readFileSync(new URL(`${file}.md`, directory));
      expect(createHash('sha256').update(text).digest('hex'), `${file}.md changed: add a new version instead`).toBe(PINNED[file]);
    }
  });

  it('are all in use, and each in-use file is pinned', () => {
    const files = readdirSync(directory).filter((name) => name.endsWith('.md')).map((name) => name.slice(0, -3));
    expect(files.sort()).toEqual(Object.keys(PINNED).sort());
    expect(Object.values(PROMPT_FILES).sort()).toEqual(Object.keys(PINNED).sort());
  });

  it('are copied into dist by the build, so they ship in the package', () => {
    const built = new URL('../../../dist/policies/llm/prompts/', import.meta.url);
    for (const file of Object.values(PROMPT_FILES)) {
      expect(existsSync(new URL(`${file}.md`, built)), `dist is missing ${file}.md: run npm run build`).toBe(true);
    }
  });

  it('render with every placeholder filled, and refuse a missing value', () => {
    const values = { task: 'T', observation: '{}', trajectory: '(none yet)', reflections: '(none)', candidates: '- a', children: '0. a', k: 2, n: 2, count: 1, last: 0, problems: '- x' };
    for (const role of Object.keys(PROMPT_FILES) as PromptRole[]) {
      expect(renderPrompt(loadPrompt(role), values)).not.toMatch(/\{\{\w+\}\}/);
    }
    expect(() => renderPrompt('Hello {{name}}', {})).toThrow(/\{\{name\}\} has no value/);
  });
});
