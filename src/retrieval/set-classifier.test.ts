import { describe, expect, it } from 'vitest';
import { SetClassifier, type SetClassifierExample } from './set-classifier.js';

const words = (text: string): string[] => text.split(' ');

const examples: SetClassifierExample[] = [
  { terms: words('plan a trip to lisbon'), set: 'flights+weather' },
  { terms: words('plan a trip to oslo'), set: 'flights+weather' },
  { terms: words('plan a dinner with salmon'), set: 'recipes' },
  { terms: words('plan a dinner with tofu'), set: 'recipes' },
  { terms: words('convert dollars to euros'), set: 'currency' },
];

describe('SetClassifier', () => {
  it('learns which words point at which set, and that words every set shares say little', () => {
    const model = new SetClassifier();
    model.train(examples);
    expect(model.size).toBe(3);
    const trip = model.predict(words('plan a trip to rome'));
    expect(trip[0]?.set).toBe('flights+weather');
    expect(trip[0]!.probability).toBeGreaterThan(0.5);
    expect(model.predict(words('dinner with beef'))[0]?.set).toBe('recipes');
    const total = trip.reduce((sum, prediction) => sum + prediction.probability, 0);
    expect(total).toBeLessThanOrEqual(1 + 1e-9);
    for (let i = 1; i < trip.length; i++) expect(trip[i - 1]!.probability).toBeGreaterThanOrEqual(trip[i]!.probability);
    // "trip" decides, "plan" (shared with the recipes set) weighs less.
    const explained = model.explain(words('plan a trip'), 'flights+weather');
    const weightOf = (term: string): number => explained.find((entry) => entry.term === term)?.weight ?? 0;
    expect(weightOf('trip')).toBeGreaterThan(weightOf('plan'));
  });

  it('gives the same model for the same examples, and nothing for unknown words or an untrained model', () => {
    const first = new SetClassifier();
    const second = new SetClassifier();
    first.train(examples);
    second.train(examples);
    expect(first.predict(words('trip with salmon'))).toEqual(second.predict(words('trip with salmon')));
    expect(new SetClassifier().predict(words('trip'))).toEqual([]);
    expect(first.explain(words('zebra'), 'recipes')).toEqual([]);
    expect(first.explain(words('trip'), 'unknown set')).toEqual([]);
  });

  it('keeps the most used sets when the weight budget is small', () => {
    const vocabulary = new Set(examples.flatMap((example) => example.terms)).size;
    const model = new SetClassifier({ maxWeights: vocabulary * 2 });
    model.train(examples);
    expect(model.size).toBe(2);
    expect(model.predict(words('convert dollars')).some((prediction) => prediction.set === 'currency')).toBe(false);
  });

  it('rejects options that cannot train', () => {
    expect(() => new SetClassifier({ epochs: 0 })).toThrow(RangeError);
    expect(() => new SetClassifier({ temperature: 0 })).toThrow(RangeError);
    expect(() => new SetClassifier({ learningRate: -1 })).toThrow(RangeError);
  });
});
