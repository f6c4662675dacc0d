import { z } from 'zod';
import { InvertedIndex } from './inverted-index.js';
import { SetClassifier, type SetClassifierOptions, type TermWeight } from './set-classifier.js';
import { splitWords, stem } from './text.js';
import { safeParse } from '../internal/safe-parse.js';

/*
 * Case memory at the level of tool choice: the tasks in which actions were used successfully, kept per
 * action (deduplicated, capped) and matched against a new query as a nearest-neighbour vote. A past task
 * votes for every action it used, in proportion to how similar it is to the query, so the actions needed
 * together for a kind of request come back together.
 *
 * Co-usage: every set of actions used together is also a document of its own, made of the tasks it served
 * (the latest `capPerSet`). A query matched against these documents votes for whole sets: a set whose
 * tasks share the query's phrasing as a group lifts all its members, even where no single past task is
 * close. Its score is normalised by the best set's and sharpened (power 4), so only sets near the best count.
 *
 * Set model: a linear softmax model over the remembered tasks (see SetClassifier) gives each known set a
 * probability for the query; every member of a set gets `classifierWeight` × probability / set size, its
 * share of the expected recall. Trained lazily, on the first vote after the memory changed.
 */

/** One remembered task and the actions that served it. */
export interface ExperienceEntry {
  task: string;
  actions: string[];
  /** How often this task (after normalisation) was learned. */
  count: number;
  /** Where it was learned from: `run:<id>` or `pairs:<label>` (the first few). */
  sources: string[];
}

export interface ExperienceOptions {
  /** Tasks remembered per action; the oldest are forgotten first. Default 5000. */
  capPerAction?: number;
  /** Past tasks that vote for a query. Default 20. */
  neighbours?: number;
  /** Action sets (co-used actions) that vote for a query; 0 switches the set vote off. Default 10. */
  setNeighbours?: number;
  /** Weight of the set vote against the task vote. Default 1. */
  setWeight?: number;
  /** Tasks kept per action set; the oldest are forgotten first. Default 1000. */
  capPerSet?: number;
  /** The set model's training options, or false to switch it off. Default on. */
  classifier?: SetClassifierOptions | false;
  /** Weight of the set model's vote against the task vote. Default 100 (chosen on a development split: learned from folds 1-3 of ToolLens, checked on fold 4). */
  classifierWeight?: number;
}

/** A set of actions used together, as the set model predicted it for a query. */
export interface ExperienceSetPrediction {
  actions: readonly string[];
  probability: number;
}

/** A set of actions used together, whose past tasks matched a query. */
export interface ExperienceSetMatch {
  actions: readonly string[];
  /** How many remembered tasks it served. */
  tasks: number;
  /** Its score relative to the best-matching set's, in [0, 1]. */
  similarity: number;
}

/** A past task that matched a query, with its similarity in [0, 1]. */
export interface ExperienceMatch {
  task: string;
  actions: readonly string[];
  similarity: number;
}

/** What experience says about one action for a query. */
export interface ExperienceVote {
  score: number;
  /** The past tasks that voted for it, most similar first. */
  tasks: ExperienceMatch[];
  /** The co-used action sets that voted for it. */
  sets: ExperienceSetMatch[];
  /** The sets the set model predicted that contain it, most probable first. */
  predicted: ExperienceSetPrediction[];
}

export interface SerializedExperience {
  version: 1;
  capPerAction: number;
  entries: ExperienceEntry[];
  learnedRuns: string[];
}

const serializedSchema = z.object({
  version: z.literal(1),
  capPerAction: z.number().int().positive(),
  entries: z.array(z.object({ task: z.string(), actions: z.array(z.string()), count: z.number().int().positive(), sources: z.array(z.string()) })),
  learnedRuns: z.array(z.string()),
});

const MAX_SOURCES = 5;

interface StoredEntry extends ExperienceEntry {
  key: string;
}

/**
 * The terms of a task for matching past tasks: every stemmed word (function words included: requests of
 * one kind share their phrasing) plus word pairs around slots, where a capitalised name or a number stands
 * (`in §cap`, `§num latitude`), which capture the shape of a request beyond its changing values.
 */
export function experienceTerms(text: string): string[] {
  const terms = splitWords(text).map(stem);
  const raw = text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}']/gu) ?? [];
  const shape = raw.map((token, index) => {
    if (/^\p{N}/u.test(token)) return '§num';
    if (index > 0 && /^\p{Lu}/u.test(token) && token !== 'I') return '§cap';
    return /^\p{L}/u.test(token) ? stem(token.toLowerCase()) : token;
  });
  for (let i = 1; i < shape.length; i++) {
    const previous = shape[i - 1]!;
    const current = shape[i]!;
    if (previous.startsWith('§') || current.startsWith('§')) terms.push(`${previous}_${current}`);
  }
  return terms;
}

const SET_SEPARATOR = '\u0000';

function setKeyOf(actions: readonly string[]): string {
  return [...new Set(actions)].sort().join(SET_SEPARATOR);
}

function normaliseTask(task: string): string {
  return task.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** A deduplicated, per-action capped memory of past tasks, searchable by similarity. */
export class ExperienceMemory {
  readonly capPerAction: number;
  readonly neighbours: number;
  readonly #entries = new Map<string, StoredEntry>();
  /** Entry keys per action, oldest first. */
  readonly #byAction = new Map<string, string[]>();
  readonly #learnedRuns = new Set<string>();
  readonly #index = new InvertedIndex({ fields: [{ name: 'task', boost: 1, b: 1 }], k1: 2 });
  readonly setNeighbours: number;
  readonly setWeight: number;
  readonly capPerSet: number;
  /** Entry keys per action set (keyed by the sorted action names), oldest first. */
  readonly #sets = new Map<string, { actions: string[]; keys: string[] }>();
  /** Sets whose documents changed since the set index was last brought up to date. */
  readonly #dirtySets = new Set<string>();
  /** Long documents saturate slowly (k1 = 4) and are fully length-normalised (b = 0.9). */
  readonly #setIndex = new InvertedIndex({ fields: [{ name: 'tasks', boost: 1, b: 0.9 }], k1: 4 });
  readonly #classifier: SetClassifier | undefined;
  readonly classifierWeight: number;
  /** Whether the set model must be retrained before its next prediction. */
  #classifierStale = true;

  constructor(options: ExperienceOptions = {}) {
    this.capPerAction = options.capPerAction ?? 5000;
    this.neighbours = options.neighbours ?? 20;
    this.setNeighbours = options.setNeighbours ?? 10;
    this.setWeight = options.setWeight ?? 1;
    this.capPerSet = options.capPerSet ?? 1000;
    this.#classifier = options.classifier === false ? undefined : new SetClassifier(options.classifier ?? {});
    this.classifierWeight = options.classifierWeight ?? 100;
    if (!(this.classifierWeight >= 0)) throw new RangeError('classifierWeight must be >= 0');
    if (!Number.isInteger(this.capPerAction) || this.capPerAction < 1) throw new RangeError('capPerAction must be a positive integer');
    if (!Number.isInteger(this.capPerSet) || this.capPerSet < 1) throw new RangeError('capPerSet must be a positive integer');
    if (!Number.isInteger(this.setNeighbours) || this.setNeighbours < 0) throw new RangeError('setNeighbours must be a non-negative integer');
    if (!(this.setWeight >= 0)) throw new RangeError('setWeight must be >= 0');
  }

  /** Remembered tasks. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Remembers that `actions` served `task`. A task seen before (ignoring case and spacing) is merged, not
   * duplicated; an action over its cap forgets its oldest task.
   */
  add(task: string, actions: readonly string[], source?: string): void {
    const text = task.trim();
    const unique = [...new Set(actions)];
    if (text === '' || unique.length === 0) return;
    const key = normaliseTask(text);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { key, task: text, actions: [], count: 0, sources: [] };
      this.#entries.set(key, entry);
      this.#index.add(key, [experienceTerms(text)]);
    }
    entry.count++;
    this.#classifierStale = true;
    if (source !== undefined && entry.sources.length < MAX_SOURCES && !entry.sources.includes(source)) entry.sources.push(source);
    this.#rememberSet(unique, key);
    for (const action of unique) {
      if (entry.actions.includes(action)) continue;
      entry.actions.push(action);
      const keys = this.#byAction.get(action) ?? [];
      keys.push(key);
      this.#byAction.set(action, keys);
      if (keys.length > this.capPerAction) this.#forget(action, keys.shift()!, false);
    }
  }

  /** The tasks remembered for an action, oldest first. */
  tasksFor(action: string): ExperienceEntry[] {
    return (this.#byAction.get(action) ?? []).map((key) => publicEntry(this.#entries.get(key)!));
  }

  entries(): ExperienceEntry[] {
    return [...this.#entries.values()].map(publicEntry);
  }

  /** Forgets everything remembered for an action (for example when it is removed for good). */
  forgetAction(action: string): void {
    this.#classifierStale = true;
    for (const key of this.#byAction.get(action) ?? []) this.#forget(action, key, false);
    this.#byAction.delete(action);
    for (const [setKey, set] of this.#sets) {
      if (!set.actions.includes(action)) continue;
      this.#sets.delete(setKey);
      this.#dirtySets.add(setKey);
    }
  }

  /** The co-used action sets most similar to the query, relative to the best one. */
  matchSets(query: string, limit = this.setNeighbours): ExperienceSetMatch[] {
    if (limit <= 0 || this.#sets.size === 0) return [];
    const terms = experienceTerms(query);
    if (terms.length === 0) return [];
    this.#updateSets();
    const hits = this.#setIndex.search(terms, limit);
    const best = hits[0]?.score ?? 0;
    if (best <= 0) return [];
    return hits.map((hit) => {
      const set = this.#sets.get(hit.key)!;
      return { actions: [...set.actions], tasks: set.keys.length, similarity: hit.score / best };
    });
  }

  /**
   * Brings the lazily maintained parts (the set index and the set model) up to date now, so that the
   * next search does not pay for them.
   */
  prepare(): void {
    this.#updateSets();
    this.#trainedClassifier();
  }

  /** The action sets the set model finds most probable for the query (empty when it is switched off). */
  predictSets(query: string, limit = 30): ExperienceSetPrediction[] {
    const classifier = this.#trainedClassifier();
    if (classifier === undefined) return [];
    const terms = experienceTerms(query);
    if (terms.length === 0) return [];
    return classifier.predict(terms, limit).map((prediction) => ({ actions: prediction.set.split(SET_SEPARATOR), probability: prediction.probability }));
  }

  /** The query terms that weighed most for (or against) a set in the set model. */
  explainPrediction(query: string, actions: readonly string[], limit = 5): TermWeight[] {
    return this.#trainedClassifier()?.explain(experienceTerms(query), setKeyOf(actions), limit) ?? [];
  }

  hasLearnedRun(runId: string): boolean {
    return this.#learnedRuns.has(runId);
  }

  markRunLearned(runId: string): void {
    this.#learnedRuns.add(runId);
  }

  /** The past tasks most similar to the query, with similarities in [0, 1]. */
  match(query: string, limit = this.neighbours): ExperienceMatch[] {
    const terms = experienceTerms(query);
    if (terms.length === 0 || this.#entries.size === 0) return [];
    const self = this.#index.selfScore(terms);
    if (self <= 0) return [];
    return this.#index.search(terms, limit).map((hit) => {
      const entry = this.#entries.get(hit.key)!;
      return { task: entry.task, actions: [...entry.actions], similarity: Math.min(1, hit.score / self) };
    });
  }

  /**
   * Each action's vote for the query: the summed similarity of the past tasks that used it, plus
   * `setWeight` × (relative score)^4 of each matching set of actions used together that contains it.
   */
  votes(query: string): Map<string, ExperienceVote> {
    const votes = new Map<string, ExperienceVote>();
    const voteFor = (action: string): ExperienceVote => {
      let vote = votes.get(action);
      if (vote === undefined) votes.set(action, (vote = { score: 0, tasks: [], sets: [], predicted: [] }));
      return vote;
    };
    for (const match of this.match(query)) {
      for (const action of match.actions) {
        const vote = voteFor(action);
        vote.score += match.similarity;
        vote.tasks.push(match);
      }
    }
    if (this.setWeight > 0) {
      for (const set of this.matchSets(query)) {
        for (const action of set.actions) {
          const vote = voteFor(action);
          vote.score += this.setWeight * set.similarity ** 4;
          vote.sets.push(set);
        }
      }
    }
    if (this.classifierWeight > 0) {
      for (const prediction of this.predictSets(query)) {
        for (const action of prediction.actions) {
          const vote = voteFor(action);
          vote.score += (this.classifierWeight * prediction.probability) / prediction.actions.length;
          vote.predicted.push(prediction);
        }
      }
    }
    return votes;
  }

  toJSON(): SerializedExperience {
    return { version: 1, capPerAction: this.capPerAction, entries: this.entries(), learnedRuns: [...this.#learnedRuns] };
  }

  /** Rebuilds a memory from its JSON form (throws a ZodError-backed RangeError on malformed input). */
  static fromJSON(value: unknown, options: ExperienceOptions = {}): ExperienceMemory {
    const parsed = safeParse(serializedSchema, value);
    if (!parsed.success) throw new RangeError(`Malformed experience memory: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const memory = new ExperienceMemory({ capPerAction: parsed.data.capPerAction, ...options });
    for (const entry of parsed.data.entries) {
      memory.add(entry.task, entry.actions, entry.sources[0]);
      const stored = memory.#entries.get(normaliseTask(entry.task));
      if (stored !== undefined) {
        stored.count = entry.count;
        stored.sources = entry.sources.slice(0, MAX_SOURCES);
      }
    }
    for (const run of parsed.data.learnedRuns) memory.#learnedRuns.add(run);
    return memory;
  }

  #trainedClassifier(): SetClassifier | undefined {
    if (this.#classifier === undefined) return undefined;
    if (this.#classifierStale) {
      this.#classifier.train([...this.#entries.values()].map((entry) => ({ terms: experienceTerms(entry.task), set: setKeyOf(entry.actions) })));
      this.#classifierStale = false;
    }
    return this.#classifier;
  }

  #rememberSet(actions: readonly string[], key: string): void {
    const sorted = [...actions].sort();
    const setKey = sorted.join(SET_SEPARATOR);
    let set = this.#sets.get(setKey);
    if (set === undefined) this.#sets.set(setKey, (set = { actions: sorted, keys: [] }));
    if (set.keys.includes(key)) return;
    set.keys.push(key);
    if (set.keys.length > this.capPerSet) set.keys.shift();
    this.#dirtySets.add(setKey);
  }

  /** Re-indexes the sets that changed (lazily, so learning many tasks re-indexes each set once). */
  #updateSets(): void {
    if (this.#dirtySets.size === 0) return;
    for (const setKey of this.#dirtySets) {
      const set = this.#sets.get(setKey);
      const terms = set === undefined ? [] : set.keys.flatMap((key) => {
        const entry = this.#entries.get(key);
        return entry === undefined ? [] : experienceTerms(entry.task);
      });
      if (terms.length === 0) {
        this.#setIndex.remove(setKey);
        continue;
      }
      this.#setIndex.add(setKey, [terms]);
    }
    this.#dirtySets.clear();
    this.#setIndex.optimize();
  }

  #forget(action: string, key: string, updateList = true): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    entry.actions = entry.actions.filter((name) => name !== action);
    if (updateList) {
      const keys = this.#byAction.get(action);
      if (keys !== undefined) {
        const position = keys.indexOf(key);
        if (position >= 0) keys.splice(position, 1);
      }
    }
    this.#classifierStale = true;
    if (entry.actions.length === 0) {
      this.#entries.delete(key);
      this.#index.remove(key);
      for (const [setKey, set] of this.#sets) if (set.keys.includes(key)) this.#dirtySets.add(setKey);
    }
  }
}

function publicEntry(entry: StoredEntry): ExperienceEntry {
  return { task: entry.task, actions: [...entry.actions], count: entry.count, sources: [...entry.sources] };
}
