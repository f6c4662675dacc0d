/*
 * Which set of actions does a request need? Past tasks name the sets of actions used together; a request
 * of a kind seen before needs one of those sets. A linear softmax model (multinomial logistic regression)
 * over the task's terms learns which words point at which set, and, unlike a similarity vote, it learns
 * that a word shared by many sets says little and a rare phrasing says much. Trained from scratch by
 * stochastic gradient descent in a fixed, seeded order, so the same memory always gives the same model.
 *
 * Features: the distinct terms of the task (see experienceTerms), binary, scaled to unit length.
 * Weights: one Float32 per (term, set); a model that would exceed `maxWeights` keeps the most used sets.
 */

export interface SetClassifierOptions {
  /** Passes over the training tasks. Default 15. */
  epochs?: number;
  /** Step size of the first pass; pass e uses learningRate / (1 + e). Default 2. */
  learningRate?: number;
  /** Softmax temperature of the set probabilities (lower is sharper). Default 0.5. */
  temperature?: number;
  /** Upper bound on terms × sets weights (memory: 4 bytes each). Default 16,000,000. */
  maxWeights?: number;
}

export interface SetClassifierExample {
  terms: readonly string[];
  /** The key of the set of actions that served it. */
  set: string;
}

/** A set of actions and its probability for a query. */
export interface SetPrediction {
  set: string;
  probability: number;
}

/** A term's contribution to a set's score for a query. */
export interface TermWeight {
  term: string;
  weight: number;
}

const SKIP_GRADIENT = 1e-7;

export class SetClassifier {
  readonly epochs: number;
  readonly learningRate: number;
  readonly temperature: number;
  readonly maxWeights: number;
  #vocabulary = new Map<string, number>();
  #sets: string[] = [];
  #weights = new Float32Array(0);
  #bias = new Float64Array(0);

  constructor(options: SetClassifierOptions = {}) {
    this.epochs = options.epochs ?? 15;
    this.learningRate = options.learningRate ?? 2;
    this.temperature = options.temperature ?? 0.5;
    this.maxWeights = options.maxWeights ?? 16_000_000;
    if (!Number.isInteger(this.epochs) || this.epochs < 1) throw new RangeError('epochs must be a positive integer');
    if (!(this.learningRate > 0)) throw new RangeError('learningRate must be > 0');
    if (!(this.temperature > 0)) throw new RangeError('temperature must be > 0');
    if (!Number.isInteger(this.maxWeights) || this.maxWeights < 1) throw new RangeError('maxWeights must be a positive integer');
  }

  /** Sets the model knows. */
  get size(): number {
    return this.#sets.length;
  }

  /** Fits the model to the examples, replacing what it knew. */
  train(examples: readonly SetClassifierExample[]): void {
    const setUse = new Map<string, number>();
    for (const example of examples) setUse.set(example.set, (setUse.get(example.set) ?? 0) + 1);
    const vocabulary = new Map<string, number>();
    for (const example of examples) for (const term of example.terms) if (!vocabulary.has(term)) vocabulary.set(term, vocabulary.size);
    // Most used sets first (ties by first appearance), as many as the weight budget allows.
    const capacity = Math.max(1, Math.floor(this.maxWeights / Math.max(1, vocabulary.size)));
    const sets = [...setUse.keys()].map((set, order) => ({ set, order, uses: setUse.get(set)! }));
    sets.sort((a, b) => b.uses - a.uses || a.order - b.order);
    this.#sets = sets.slice(0, capacity).map((entry) => entry.set);
    const classOf = new Map(this.#sets.map((set, index) => [set, index]));
    this.#vocabulary = vocabulary;
    const classes = this.#sets.length;
    this.#weights = new Float32Array(vocabulary.size * classes);
    this.#bias = new Float64Array(classes);
    const rows: { features: [number, number][]; label: number }[] = [];
    for (const example of examples) {
      const label = classOf.get(example.set);
      if (label !== undefined) rows.push({ features: this.#features(example.terms), label });
    }
    if (rows.length === 0 || classes === 0) return;
    const order = rows.map((_, index) => index);
    const random = seededRandom(1);
    const probabilities = new Float64Array(classes);
    for (let epoch = 0; epoch < this.epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const rate = this.learningRate / (1 + epoch);
      for (const position of order) {
        const row = rows[position]!;
        this.#softmax(row.features, probabilities, 1);
        for (let c = 0; c < classes; c++) {
          const gradient = probabilities[c]! - (c === row.label ? 1 : 0);
          if (gradient > -SKIP_GRADIENT && gradient < SKIP_GRADIENT) continue;
          this.#bias[c] = this.#bias[c]! - rate * gradient;
          for (const [term, value] of row.features) {
            const at = term * classes + c;
            this.#weights[at] = this.#weights[at]! - rate * gradient * value;
          }
        }
      }
    }
  }

  /** The most probable sets for a query's terms (probabilities at the model's temperature), best first. */
  predict(terms: readonly string[], limit = 30, minProbability = 1e-4): SetPrediction[] {
    const classes = this.#sets.length;
    if (classes === 0) return [];
    const probabilities = new Float64Array(classes);
    this.#softmax(this.#features(terms), probabilities, this.temperature);
    const predictions: SetPrediction[] = [];
    for (let c = 0; c < classes; c++) if (probabilities[c]! >= minProbability) predictions.push({ set: this.#sets[c]!, probability: probabilities[c]! });
    return predictions.sort((a, b) => b.probability - a.probability).slice(0, limit);
  }

  /** The query terms that raised (or lowered) a set's score most, for explanations. */
  explain(terms: readonly string[], set: string, limit = 5): TermWeight[] {
    const c = this.#sets.indexOf(set);
    if (c < 0) return [];
    const classes = this.#sets.length;
    const distinct = [...new Set(terms)].filter((term) => this.#vocabulary.has(term));
    const scale = distinct.length === 0 ? 0 : 1 / Math.sqrt(distinct.length);
    return distinct
      .map((term) => ({ term, weight: this.#weights[this.#vocabulary.get(term)! * classes + c]! * scale }))
      .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
      .slice(0, limit);
  }

  /** Distinct known terms, each 1/sqrt(n): binary features of unit length. */
  #features(terms: readonly string[]): [number, number][] {
    const ids = new Set<number>();
    for (const term of terms) {
      const id = this.#vocabulary.get(term);
      if (id !== undefined) ids.add(id);
    }
    const value = ids.size === 0 ? 0 : 1 / Math.sqrt(ids.size);
    return [...ids].map((id) => [id, value]);
  }

  #softmax(features: readonly [number, number][], out: Float64Array, temperature: number): void {
    const classes = this.#sets.length;
    out.set(this.#bias);
    for (const [term, value] of features) {
      const offset = term * classes;
      for (let c = 0; c < classes; c++) out[c] = out[c]! + this.#weights[offset + c]! * value;
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, out[c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const value = Math.exp((out[c]! - max) / temperature);
      out[c] = value;
      sum += value;
    }
    for (let c = 0; c < classes; c++) out[c] = out[c]! / sum;
  }
}

/** A small linear congruential generator: the same shuffles on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}
