import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction, type AnyAction } from '../actions/index.js';
import { ExperienceMemory } from './experience.js';
import { ToolIndex } from './tool-index.js';

function action(name: string, description: string, extra: Partial<{ tags: string[]; group: string; input: z.ZodType }> = {}): AnyAction {
  return defineAction({
    name,
    description,
    input: extra.input ?? z.object({}),
    effect: 'read',
    ...(extra.tags ? { tags: extra.tags } : {}),
    ...(extra.group ? { group: extra.group } : {}),
    run: () => null,
  }) as AnyAction;
}

function githubLikeSpace(): ActionSpace {
  return new ActionSpace([
    action('issues/list-for-repo', 'List repository issues', { group: 'github:issues', input: z.object({ owner: z.string(), repo: z.string(), state: z.enum(['open', 'closed']).describe('Filter by issue state') }) }),
    action('issues/create', 'Create an issue', { group: 'github:issues', input: z.object({ owner: z.string(), repo: z.string(), title: z.string() }) }),
    action('pulls/merge', 'Merge a pull request', { group: 'github:pulls', input: z.object({ pull_number: z.number() }) }),
    action('weather_forecast', 'Get the weather forecast for a city', { group: 'weather', tags: ['climate'], input: z.object({ city: z.string() }) }),
    action('sendInvoiceEmail', 'Send an invoice to a customer by e-mail', { group: 'billing', input: z.object({ customerId: z.string() }) }),
  ]);
}

describe('ToolIndex', () => {
  it('finds actions by the words of their names, descriptions, parameters and tags', () => {
    const index = new ToolIndex({ actions: githubLikeSpace() });
    expect(index.searchLexical('open issues of a repository', { k: 1 }).hits[0]?.name).toBe('issues/list-for-repo');
    expect(index.searchLexical('invoice email', { k: 1 }).hits[0]?.name).toBe('sendInvoiceEmail');
    expect(index.searchLexical('climate', { k: 1 }).hits[0]?.name).toBe('weather_forecast');
    expect(index.searchLexical('pull_number', { k: 1 }).hits[0]?.name).toBe('pulls/merge');
  });

  it('follows additions and removals of the action space', () => {
    const space = githubLikeSpace();
    const index = new ToolIndex({ actions: space });
    expect(index.searchLexical('translate text to french').hits).toEqual([]);
    space.add(action('translate', 'Translate a text into French or another language'));
    expect(index.size).toBe(6);
    expect(index.searchLexical('translate text to french').hits.map((hit) => hit.name)).toEqual(['translate']);
    space.remove('translate');
    expect(index.size).toBe(5);
    expect(index.searchLexical('translate text to french').hits).toEqual([]);
    index.close();
    space.add(action('translate', 'Translate a text'));
    expect(index.size).toBe(5);
  });

  it('answers an empty or absurd query with an empty result, not an error', async () => {
    const index = new ToolIndex({ actions: githubLikeSpace() });
    for (const query of ['', '   ', '?!…', 'qwxzvbnm zzqqxx', '\u0000\u0001', 'the of and']) {
      const result = await index.search(query);
      expect(result.hits).toEqual([]);
      expect(result.strategy).toBe('lexical');
    }
  });

  it('says when retrieval is lexical only, and refuses dense retrieval without an embedding model', async () => {
    const index = new ToolIndex({ actions: githubLikeSpace() });
    expect((await index.search('merge')).notes).toEqual(['lexical retrieval only: no embedding model is configured']);
    await expect(index.search('merge', { strategy: 'dense' })).rejects.toMatchObject({ code: 'ARBOR_EMBEDDING_MODEL_REQUIRED' });
    await expect(index.search('merge', { k: -1 })).rejects.toMatchObject({ code: 'ARBOR_USAGE' });
  });

  it('ranks groups first and then draws actions only from the best groups', () => {
    const index = new ToolIndex({ actions: githubLikeSpace() });
    const result = index.searchLexical('issue repository title', { strategy: 'grouped', groups: 1, k: 5 });
    expect(result.groups?.map((group) => group.name)).toEqual(['github:issues']);
    expect(result.hits.map((hit) => hit.name).sort()).toEqual(['issues/create', 'issues/list-for-repo']);
    expect(index.groups().map((group) => [group.name, group.size])).toContainEqual(['github:issues', 2]);
    expect(index.summarizeGroup('github:issues').keywords).toContain('issu');
  });

  it('explains which fields and which past tasks matched', () => {
    const experience = new ExperienceMemory();
    experience.add('bill the customer for March', ['sendInvoiceEmail'], 'run:01TEST');
    const index = new ToolIndex({ actions: githubLikeSpace(), experience });
    const [hit] = index.searchLexical('bill the customer for April', { k: 1, explain: true }).hits;
    expect(hit?.name).toBe('sendInvoiceEmail');
    expect(hit?.explanation?.experience?.tasks[0]).toMatchObject({ task: 'bill the customer for March' });
    expect(hit?.explanation?.fields.map((field) => field.field)).toContain('parameters');
  });

  it('learns from experience, and can be switched off per search', () => {
    const space = githubLikeSpace();
    const experience = new ExperienceMemory();
    experience.add('I need to know if I should take an umbrella tomorrow', ['weather_forecast']);
    const index = new ToolIndex({ actions: space, experience });
    expect(index.searchLexical('should I take an umbrella', { k: 1 }).hits[0]?.name).toBe('weather_forecast');
    expect(index.searchLexical('should I take an umbrella', { k: 1, experience: false }).hits).toEqual([]);
  });

  it('ignores experience about actions that are not in the space', () => {
    const experience = new ExperienceMemory();
    experience.add('book a flight to Rome', ['flights_book']);
    const index = new ToolIndex({ actions: githubLikeSpace(), experience });
    expect(index.searchLexical('book a flight to Rome').hits).toEqual([]);
  });
});
