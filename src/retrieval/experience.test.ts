import { describe, expect, it } from 'vitest';
import { ExperienceMemory, experienceTerms } from './experience.js';

describe('ExperienceMemory', () => {
  it('merges a task learned twice instead of duplicating it', () => {
    const memory = new ExperienceMemory();
    memory.add('Refund order 42', ['refund'], 'run:a');
    memory.add('  refund ORDER 42 ', ['refund', 'notify'], 'run:b');
    expect(memory.size).toBe(1);
    expect(memory.entries()).toEqual([{ task: 'Refund order 42', actions: ['refund', 'notify'], count: 2, sources: ['run:a', 'run:b'] }]);
  });

  it('caps the tasks remembered per action, forgetting the oldest first', () => {
    const memory = new ExperienceMemory({ capPerAction: 3 });
    for (let i = 1; i <= 5; i++) memory.add(`task number ${i}`, ['act', ...(i === 1 ? ['other'] : [])]);
    expect(memory.tasksFor('act').map((entry) => entry.task)).toEqual(['task number 3', 'task number 4', 'task number 5']);
    // The first task is kept for the action that still remembers it, without the forgotten one.
    expect(memory.tasksFor('other')).toEqual([{ task: 'task number 1', actions: ['other'], count: 1, sources: [] }]);
    expect(memory.size).toBe(4);
  });

  it('votes for the actions of the most similar past tasks, with similarities in [0, 1]', () => {
    const memory = new ExperienceMemory();
    memory.add("I'm planning a trip to Lisbon, Portugal.", ['weather', 'airports', 'places']);
    memory.add('Find recipes using the ingredient beef', ['recipes', 'nutrition']);
    const votes = memory.votes("I'm planning a trip to Belgrade, Serbia.");
    expect([...votes.keys()].slice(0, 3)).toEqual(['weather', 'airports', 'places']);
    const top = memory.match("I'm planning a trip to Lisbon, Portugal.")[0];
    expect(top?.similarity).toBeCloseTo(1, 5);
    expect(memory.match('')).toEqual([]);
  });

  it('votes for whole sets of actions used together, by how well their past tasks match as a group', () => {
    const memory = new ExperienceMemory({ neighbours: 1 });
    // Two phrasings for each set; the query mixes the words of one set's tasks, so no single task is close.
    memory.add('cook dinner using the ingredient salmon', ['recipes', 'nutrition', 'groceries']);
    memory.add('which grocery store sells fresh produce near me', ['recipes', 'nutrition', 'groceries']);
    memory.add('cook dinner for my party of ten', ['party_planner']);
    const sets = memory.matchSets('cook with the ingredient from a grocery store');
    expect(sets[0]).toEqual({ actions: ['groceries', 'nutrition', 'recipes'], tasks: 2, similarity: 1 });
    const votes = memory.votes('cook with the ingredient from a grocery store');
    expect(votes.get('groceries')?.sets[0]?.tasks).toBe(2);
    expect(votes.get('groceries')!.score).toBeGreaterThan(votes.get('party_planner')?.score ?? 0);

    memory.forgetAction('nutrition');
    expect(memory.matchSets('cook with the ingredient from a grocery store').some((set) => set.actions.includes('nutrition'))).toBe(false);
    expect(new ExperienceMemory({ setWeight: 0 }).votes('anything').size).toBe(0);
  });

  it('votes through the set model for the sets it predicts, retrains after learning, and can be switched off', () => {
    const memory = new ExperienceMemory();
    memory.add("I'm planning a trip to Lisbon, Portugal.", ['weather', 'airports']);
    memory.add("I'm planning a trip to Oslo, Norway.", ['weather', 'airports']);
    memory.add('Find recipes using the ingredient beef', ['recipes', 'nutrition']);
    const predicted = memory.predictSets("I'm planning a trip to Rome, Italy.");
    expect(predicted[0]?.actions).toEqual(['airports', 'weather']);
    expect(memory.votes("I'm planning a trip to Rome, Italy.").get('airports')?.predicted[0]?.actions).toEqual(['airports', 'weather']);
    expect(memory.explainPrediction("I'm planning a trip to Rome, Italy.", ['weather', 'airports']).length).toBeGreaterThan(0);

    memory.add('Convert 100 dollars to euros', ['currency']);
    memory.prepare();
    expect(memory.predictSets('Convert 20 dollars to yen')[0]?.actions).toEqual(['currency']);

    const off = new ExperienceMemory({ classifier: false });
    off.add('Convert 100 dollars to euros', ['currency']);
    expect(off.predictSets('Convert 20 dollars to yen')).toEqual([]);
    expect(off.votes('Convert 20 dollars to yen').get('currency')?.predicted).toEqual([]);
  });

  it('survives a JSON round trip and rejects a malformed one', () => {
    const memory = new ExperienceMemory({ capPerAction: 7 });
    memory.add('archive old invoices', ['archive'], 'pairs:labels.jsonl');
    memory.markRunLearned('01RUN');
    const copy = ExperienceMemory.fromJSON(JSON.parse(JSON.stringify(memory)));
    expect(copy.entries()).toEqual(memory.entries());
    expect(copy.capPerAction).toBe(7);
    expect(copy.hasLearnedRun('01RUN')).toBe(true);
    expect(() => ExperienceMemory.fromJSON({ version: 2 })).toThrow(/Malformed experience memory/);
  });

  it('describes the shape of a request: slots for names and numbers join the words around them', () => {
    expect(experienceTerms('Weather in Paris on 5 May')).toEqual(expect.arrayContaining(['in_§cap', '§num_§cap', 'on_§num']));
  });
});
