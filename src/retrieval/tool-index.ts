import type { EmbeddingModel } from 'ai';
import type { ActionSource, ActionSpace, AnyAction } from '../actions/index.js';
import { EmbeddingModelRequiredError, UsageError } from '../errors/index.js';
import type { Store } from '../provenance/index.js';
import { actionDocument, DEFAULT_FIELD_BOOSTS, DOCUMENT_FIELDS, documentTerms, embeddingText, type FieldBoosts } from './action-document.js';
import { DenseIndex } from './dense-index.js';
import type { ExperienceMatch, ExperienceMemory, ExperienceSetMatch, ExperienceSetPrediction } from './experience.js';
import type { TermWeight } from './set-classifier.js';
import { DEFAULT_RRF_K, reciprocalRankFusion } from './fusion.js';
import { InvertedIndex, type FieldContribution } from './inverted-index.js';
import { analyze } from './text.js';

export type RetrievalStrategy = 'lexical' | 'dense' | 'hybrid' | 'grouped';

export interface ToolIndexOptions {
  /** The action space to index; the index follows its additions and removals. */
  actions: ActionSpace;
  /** BM25F field boosts. Default: DEFAULT_FIELD_BOOSTS. */
  boosts?: Partial<FieldBoosts>;
  /** BM25 term-frequency saturation. Default 1.2. */
  k1?: number;
  /** The dense side: any AI SDK embedding model, with the store that caches its vectors. */
  embedding?: { model: Exclude<EmbeddingModel, string>; store?: Store; maxRetries?: number };
  /** Case memory of past tasks (see ExperienceMemory); switch it off per search with `experience: false`. */
  experience?: ExperienceMemory;
  /** How much a past task's vote counts against the best lexical score (which counts 1). Default 3. */
  experienceWeight?: number;
  /** Weights of the lexical and dense rankings in hybrid fusion. Default 1 and 1. */
  fusion?: { lexical?: number; dense?: number; k?: number };
}

export interface SearchOptions {
  /** How many actions to return. Default 10. */
  k?: number;
  /** Default: hybrid when an embedding model is configured, lexical otherwise. */
  strategy?: RetrievalStrategy;
  /** For `grouped`: how many groups to draw actions from. Default 3. */
  groups?: number;
  /** Use the experience memory (when the index has one). Default true. */
  experience?: boolean;
  /** Only actions that pass. */
  filter?: (action: AnyAction) => boolean;
  /** Attach to each hit the fields, terms and past tasks that matched. Default false. */
  explain?: boolean;
  signal?: AbortSignal;
}

/** Why an action was found. */
export interface HitExplanation {
  /** Lexical contributions by field, strongest first. */
  fields: FieldContribution[];
  lexicalScore: number;
  /** Cosine similarity to the query, on the dense side. */
  denseSimilarity?: number;
  /** The past tasks that voted for the action, most similar first. */
  experience?: {
    score: number;
    tasks: ExperienceMatch[];
    sets: ExperienceSetMatch[];
    /** The sets the set model predicted that contain this action, with the query terms that weighed most. */
    predicted: (ExperienceSetPrediction & { terms: TermWeight[] })[];
  };
}

export interface SearchHit {
  name: string;
  /** The fused score (its scale depends on the strategy: compare within one result). */
  score: number;
  description: string;
  group: string;
  source: ActionSource;
  explanation?: HitExplanation;
}

export interface SearchResult {
  query: string;
  /** The strategy actually used. */
  strategy: RetrievalStrategy;
  hits: SearchHit[];
  /** What the caller should know (for example that retrieval is lexical only). */
  notes: string[];
  /** For `grouped`: the groups the hits were drawn from, best first. */
  groups?: GroupSummary[];
}

export interface GroupSummary {
  name: string;
  /** Actions in the group. */
  size: number;
  /** A few of its action names. */
  examples: string[];
  /** Its most characteristic words, for a policy choosing among groups. */
  keywords: string[];
  /** The group's relevance to the query, when ranked for one. */
  score?: number;
}

const LEXICAL_ONLY_NOTE = 'lexical retrieval only: no embedding model is configured';

/** The group an action belongs to for grouped retrieval: its group, else its source's name or kind. */
export function groupOf(action: AnyAction): string {
  return action.group ?? action.source.name ?? action.source.kind;
}

/**
 * A retrieval index over an action space: BM25F over each action's name words, description, parameters,
 * tags and origin, with MaxScore top-k; optionally an embedding side fused by weighted RRF; optionally a
 * memory of past tasks that votes for the actions that served similar ones. It follows the action space as
 * actions are added and removed. Call `close()` to stop following.
 */
export class ToolIndex {
  readonly actions: ActionSpace;
  readonly experience: ExperienceMemory | undefined;
  readonly #lexical: InvertedIndex;
  readonly #dense: DenseIndex | undefined;
  readonly #experienceWeight: number;
  readonly #fusion: { lexical: number; dense: number; k: number };
  readonly #groups = new Map<string, Set<string>>();
  readonly #unsubscribe: () => void;

  constructor(options: ToolIndexOptions) {
    this.actions = options.actions;
    this.experience = options.experience;
    this.#experienceWeight = options.experienceWeight ?? 3;
    const boosts = { ...DEFAULT_FIELD_BOOSTS, ...options.boosts };
    this.#lexical = new InvertedIndex({ fields: DOCUMENT_FIELDS.map((name) => ({ name, boost: boosts[name] })), k1: options.k1 ?? 1.2 });
    this.#dense =
      options.embedding === undefined
        ? undefined
        : new DenseIndex({
            model: options.embedding.model,
            ...(options.embedding.store === undefined ? {} : { store: options.embedding.store }),
            ...(options.embedding.maxRetries === undefined ? {} : { maxRetries: options.embedding.maxRetries }),
          });
    this.#fusion = { lexical: options.fusion?.lexical ?? 1, dense: options.fusion?.dense ?? 1, k: options.fusion?.k ?? DEFAULT_RRF_K };
    for (const action of options.actions) this.#add(action);
    this.#unsubscribe = options.actions.subscribe((event) => {
      if (event.type === 'added') this.#add(event.action);
      else this.#remove(event.action);
    });
  }

  /** Indexed actions. */
  get size(): number {
    return this.#lexical.size;
  }

  /** Whether a dense side is configured. */
  get hasEmbeddings(): boolean {
    return this.#dense !== undefined;
  }

  /** Embedding calls and texts sent so far (both 0 without an embedding model). */
  get embeddingUsage(): { calls: number; texts: number; pending: number } {
    return { calls: this.#dense?.calls ?? 0, texts: this.#dense?.embedded ?? 0, pending: this.#dense?.pending ?? 0 };
  }

  /** Stops following the action space. */
  close(): void {
    this.#unsubscribe();
  }

  /** Computes the embeddings of actions that lack one (cached ones cost nothing). Searches do it lazily too. */
  async syncEmbeddings(signal?: AbortSignal): Promise<void> {
    await this.#dense?.sync(signal);
  }

  /**
   * Ranks actions for a query. An empty query, or one whose words match nothing, gets an empty result.
   * Dense and hybrid strategies need an embedding model; without one the default strategy is lexical and
   * the result says so in `notes`.
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    const strategy = options.strategy ?? (this.#dense === undefined ? 'lexical' : 'hybrid');
    if (strategy === 'lexical' || strategy === 'grouped') return this.searchLexical(query, { ...options, strategy });
    const dense = this.#dense;
    if (dense === undefined) throw new EmbeddingModelRequiredError(strategy);
    if (strategy !== 'dense' && strategy !== 'hybrid') throw unknownStrategy(strategy);
    const k = checkK(options.k);
    if (query.trim() === '' || this.size === 0) return { query, strategy, hits: [], notes: [] };
    await dense.sync(options.signal);
    const [queryVector] = await dense.embed([query], options.signal);
    const filter = this.#nameFilter(options.filter);
    const pool = Math.max(50, k * 5);
    const denseHits = dense.nearest(queryVector!, pool, filter);
    if (strategy === 'dense') {
      return { query, strategy, hits: denseHits.slice(0, k).map((hit) => this.#hit(hit.name, hit.score, query, options, { denseSimilarity: hit.score })), notes: [] };
    }
    const lexicalHits = this.#lexicalScores(query, pool, options);
    const fused = reciprocalRankFusion(
      [
        { weight: this.#fusion.lexical, names: lexicalHits.map((hit) => hit.name) },
        { weight: this.#fusion.dense, names: denseHits.map((hit) => hit.name) },
      ],
      this.#fusion.k,
    );
    const similarities = new Map(denseHits.map((hit) => [hit.name, hit.score]));
    return {
      query,
      strategy,
      hits: fused.slice(0, k).map((hit) => this.#hit(hit.name, hit.score, query, options, { denseSimilarity: similarities.get(hit.name) ?? dense.similarity(hit.name, queryVector!) })),
      notes: [],
    };
  }

  /** Lexical (and grouped) search, synchronous: the hot path of per-step retrieval. */
  searchLexical(query: string, options: Omit<SearchOptions, 'strategy'> & { strategy?: 'lexical' | 'grouped' } = {}): SearchResult {
    const k = checkK(options.k);
    const strategy = options.strategy ?? 'lexical';
    const notes = this.#dense === undefined ? [LEXICAL_ONLY_NOTE] : [];
    if (strategy !== 'lexical' && strategy !== 'grouped') throw unknownStrategy(strategy);
    if (strategy === 'grouped') {
      const groups = this.rankGroups(query, { ...options, k: options.groups ?? 3 });
      if (groups.length === 0) return { query, strategy, hits: [], notes, groups: [] };
      const chosen = new Set(groups.map((group) => group.name));
      const inner = options.filter;
      const filter = (action: AnyAction) => chosen.has(groupOf(action)) && (inner === undefined || inner(action));
      const hits = this.#lexicalScores(query, k, { ...options, filter });
      return { query, strategy, hits: hits.map((hit) => this.#hit(hit.name, hit.score, query, options)), notes, groups };
    }
    const hits = this.#lexicalScores(query, k, options);
    return { query, strategy, hits: hits.map((hit) => this.#hit(hit.name, hit.score, query, options)), notes };
  }

  /**
   * Ranks groups for a query by the actions they contain: a group scores its best action plus half of its
   * second and a quarter of its third, so one strong match and several good ones both count.
   */
  rankGroups(query: string, options: Omit<SearchOptions, 'strategy'> = {}): GroupSummary[] {
    const k = checkK(options.k);
    const pool = Math.min(this.size, Math.max(200, k * 50));
    const perGroup = new Map<string, number[]>();
    for (const hit of this.#lexicalScores(query, pool, options)) {
      const group = groupOf(this.actions.get(hit.name));
      const scores = perGroup.get(group) ?? [];
      if (scores.length < 3) scores.push(hit.score);
      perGroup.set(group, scores);
    }
    return [...perGroup]
      .map(([name, scores]) => ({ name, score: (scores[0] ?? 0) + (scores[1] ?? 0) / 2 + (scores[2] ?? 0) / 4 }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k)
      .map(({ name, score }) => ({ ...this.summarizeGroup(name), score }));
  }

  /** Every group with its size, in descending size. */
  groups(): GroupSummary[] {
    return [...this.#groups.keys()].map((name) => this.summarizeGroup(name)).sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
  }

  /** A group's summary: size, example actions and its most characteristic words (by tf-idf). */
  summarizeGroup(name: string): GroupSummary {
    const members = [...(this.#groups.get(name) ?? [])];
    const counts = new Map<string, number>();
    for (const member of members.slice(0, 200)) {
      const action = this.actions.find(member);
      if (action === undefined) continue;
      for (const term of new Set(analyze(`${action.name} ${action.description}`))) counts.set(term, (counts.get(term) ?? 0) + 1);
    }
    const keywords = [...counts]
      .map(([term, count]) => ({ term, weight: count * this.#lexical.idf(term) }))
      .sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term))
      .slice(0, 8)
      .map((entry) => entry.term);
    return { name, size: members.length, examples: members.slice(0, 5), keywords };
  }

  /** Lexical scores fused with experience votes, best first. */
  #lexicalScores(query: string, k: number, options: Omit<SearchOptions, 'strategy'>): { name: string; score: number }[] {
    const terms = analyze(query);
    const filter = this.#nameFilter(options.filter);
    const memory = options.experience === false ? undefined : this.experience;
    if (memory === undefined || memory.size === 0) {
      if (terms.length === 0) return [];
      return this.#lexical.search(terms, k, filter === undefined ? {} : { filter }).map((hit) => ({ name: hit.key, score: hit.score }));
    }
    const lexical = terms.length === 0 ? [] : this.#lexical.search(terms, Math.max(50, k * 3), filter === undefined ? {} : { filter });
    const best = lexical[0]?.score ?? 0;
    const scores = new Map<string, number>();
    for (const hit of lexical) scores.set(hit.key, best > 0 ? hit.score / best : 0);
    for (const [name, vote] of memory.votes(query)) {
      if (!this.#lexical.has(name) || (filter !== undefined && !filter(name))) continue;
      scores.set(name, (scores.get(name) ?? 0) + this.#experienceWeight * vote.score);
    }
    return [...scores]
      .map(([name, score]) => ({ name, score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  #hit(name: string, score: number, query: string, options: SearchOptions, extra: { denseSimilarity?: number } = {}): SearchHit {
    const action = this.actions.get(name);
    const hit: SearchHit = { name, score, description: action.description, group: groupOf(action), source: action.source };
    if (options.explain === true) {
      const fields = this.#lexical.explain(name, analyze(query));
      const explanation: HitExplanation = { fields, lexicalScore: fields.reduce((sum, field) => sum + field.score, 0) };
      if (extra.denseSimilarity !== undefined) explanation.denseSimilarity = extra.denseSimilarity;
      const memory = options.experience === false ? undefined : this.experience;
      const vote = memory?.votes(query).get(name);
      if (vote !== undefined && memory !== undefined) {
        const predicted = vote.predicted.slice(0, 3).map((prediction) => ({ ...prediction, terms: memory.explainPrediction(query, prediction.actions) }));
        explanation.experience = { score: vote.score, tasks: vote.tasks.slice(0, 5), sets: vote.sets.slice(0, 3), predicted };
      }
      hit.explanation = explanation;
    }
    return hit;
  }

  #nameFilter(filter: ((action: AnyAction) => boolean) | undefined): ((name: string) => boolean) | undefined {
    if (filter === undefined) return undefined;
    return (name) => {
      const action = this.actions.find(name);
      return action !== undefined && filter(action);
    };
  }

  #add(action: AnyAction): void {
    const document = actionDocument(action);
    this.#lexical.add(action.name, documentTerms(document));
    this.#dense?.set(action.name, embeddingText(document));
    const group = groupOf(action);
    const members = this.#groups.get(group) ?? new Set<string>();
    members.add(action.name);
    this.#groups.set(group, members);
  }

  #remove(action: AnyAction): void {
    this.#lexical.remove(action.name);
    this.#dense?.delete(action.name);
    const group = groupOf(action);
    const members = this.#groups.get(group);
    members?.delete(action.name);
    if (members?.size === 0) this.#groups.delete(group);
  }
}

function checkK(k: number | undefined): number {
  const value = k ?? 10;
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`k must be a non-negative integer, got ${String(k)}`, 'Ask for the number of actions to return, for example k: 10.');
  return value;
}

function unknownStrategy(strategy: string): UsageError {
  return new UsageError(`Unknown retrieval strategy "${strategy}"`, 'Use "lexical", "dense", "hybrid" or "grouped".');
}
