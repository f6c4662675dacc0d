import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction, type AnyAction } from '../actions/index.js';
import { Executor } from '../execution/index.js';
import { useTempStore } from '../internal/test-support.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { learnFromRuns, loadExperience, saveExperience } from './experience-store.js';
import { ExperienceMemory } from './experience.js';
import { ToolIndex } from './tool-index.js';

let store: SqliteStore;
useTempStore((opened) => {
  store = opened;
});

/** Weather and calendar tools that share no words with the tasks below, plus a meta-action and a nested helper. */
function space(): ActionSpace {
  const actions = new ActionSpace();
  const plain = (name: string, description: string) => defineAction({ name, description, input: z.object({}), effect: 'read', run: () => ({ name }) }) as AnyAction;
  actions.add(plain('forecast_lookup', 'Meteorological outlook by coordinates'));
  actions.add(plain('agenda_insert', 'Adds an entry to an agenda'));
  actions.add(plain('geo_resolve', 'Coordinates of a place'));
  actions.add(plain('search_actions', 'Searches the available actions'));
  actions.add(
    defineAction({
      name: 'broken',
      description: 'Always fails',
      input: z.object({}),
      effect: 'read',
      run: () => {
        throw new Error('down');
      },
    }) as AnyAction,
  );
  actions.add(
    defineAction({
      name: 'plan_trip',
      description: 'Resolves the place, then asks for the outlook',
      input: z.object({}),
      effect: 'read',
      run: async (_input, ctx) => ctx.call('geo_resolve', {}),
    }) as AnyAction,
  );
  return actions;
}

async function record(actions: ActionSpace, task: string, steps: string[], status: 'succeeded' | 'failed'): Promise<string> {
  const run = await new Executor({ store, actions }).startRun({ task, environment: 'test/experience' });
  for (const step of steps) await run.execute(step, {});
  await run.end(status);
  return run.id;
}

describe('learnFromRuns', () => {
  it('learns each successful run once: its task, with the top-level actions that succeeded', async () => {
    const actions = space();
    const learned = await record(actions, 'Will it rain in Lisbon tomorrow?', ['search_actions', 'geo_resolve', 'broken', 'forecast_lookup'], 'succeeded');
    await record(actions, 'Book a dentist appointment', ['agenda_insert'], 'failed');
    await record(actions, 'Plan a trip to Porto', ['plan_trip'], 'succeeded');
    const memory = new ExperienceMemory();

    expect(await learnFromRuns(store, memory)).toEqual({ runs: 2, tasks: 2 });
    const byTask = new Map(memory.entries().map((entry) => [entry.task, entry]));
    // The meta-action and the failed step are not learned; the nested geo_resolve of plan_trip is not either.
    expect(byTask.get('Will it rain in Lisbon tomorrow?')).toMatchObject({ actions: ['geo_resolve', 'forecast_lookup'], count: 1, sources: [`run:${learned}`] });
    expect(byTask.get('Plan a trip to Porto')?.actions).toEqual(['plan_trip']);
    expect(byTask.has('Book a dentist appointment')).toBe(false);

    // Learning again changes nothing; a new run is picked up.
    expect(await learnFromRuns(store, memory)).toEqual({ runs: 0, tasks: 0 });
    await record(actions, 'will it rain in  lisbon tomorrow?', ['forecast_lookup'], 'succeeded');
    expect(await learnFromRuns(store, memory)).toEqual({ runs: 1, tasks: 1 });
    expect(memory.entries().find((entry) => entry.task === 'Will it rain in Lisbon tomorrow?')?.count).toBe(2);
  });

  it('lets an index find, for a new wording of a learned task, the actions the run used', async () => {
    const actions = space();
    await record(actions, 'Will it rain in Lisbon tomorrow?', ['geo_resolve', 'forecast_lookup'], 'succeeded');
    const query = 'will it rain in Madrid tomorrow';
    const without = new ToolIndex({ actions });
    expect(without.searchLexical(query, { k: 2 }).hits.map((hit) => hit.name)).not.toContain('forecast_lookup');

    const memory = new ExperienceMemory();
    await learnFromRuns(store, memory);
    await saveExperience(store, memory);
    const index = new ToolIndex({ actions, experience: await loadExperience(store) });
    const hits = index.searchLexical(query, { k: 2 }).hits.map((hit) => hit.name);
    expect(new Set(hits)).toEqual(new Set(['geo_resolve', 'forecast_lookup']));
    expect(index.searchLexical(query, { k: 2, experience: false }).hits.map((hit) => hit.name)).not.toContain('forecast_lookup');
  });
});
