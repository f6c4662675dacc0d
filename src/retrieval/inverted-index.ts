/*
 * A BM25F inverted index with top-k retrieval by MaxScore dynamic pruning (Turtle & Flood 1995): query
 * terms are ordered by their score upper bound, and once the k-th best score exceeds the summed bounds of
 * the weakest terms, documents that only contain those terms are never scored; their postings are only
 * probed (binary search) for documents that can still enter the top k. A plain index scores and sorts every
 * document that shares a common word with the query, which is what makes its tail latency grow with the
 * collection. Documents can be added and removed at any time: removal leaves a tombstone, and postings are
 * compacted (and impacts re-normalised to the current average field lengths) lazily, before the next search,
 * once enough has changed.
 */

export interface IndexField {
  name: string;
  /** Multiplies the field's term frequencies (BM25F). */
  boost: number;
  /** Length normalisation of the field, 0 (none) to 1 (full). Default 0.75. */
  b?: number;
}

export interface InvertedIndexOptions {
  fields: readonly IndexField[];
  /** Term-frequency saturation. Default 1.2. */
  k1?: number;
}

export interface IndexHit {
  key: string;
  score: number;
}

export interface IndexSearchOptions {
  /** Only documents whose key passes are returned. */
  filter?: (key: string) => boolean;
  /**
   * Score every matching document term by term, without pruning. Default: only for long queries (more
   * than 8 distinct terms), where pruning rarely skips enough to pay for itself.
   */
  exhaustive?: boolean;
  /** Filled with the number of documents that were scored (to measure what pruning saved). */
  stats?: { candidates: number };
}

/** How much one field contributed to a document's score, and through which terms. */
export interface FieldContribution {
  field: string;
  score: number;
  terms: string[];
}

class PostingList {
  docs: Int32Array = new Int32Array(4);
  impacts: Float32Array = new Float32Array(4);
  length = 0;
  /** Documents of this list that are still alive (the term's document frequency). */
  df = 0;
  maxImpact = 0;

  push(doc: number, impact: number): void {
    if (this.length === this.docs.length) {
      const docs = new Int32Array(this.length * 2);
      docs.set(this.docs);
      this.docs = docs;
      const impacts = new Float32Array(this.length * 2);
      impacts.set(this.impacts);
      this.impacts = impacts;
    }
    this.docs[this.length] = doc;
    this.impacts[this.length] = impact;
    this.length++;
    if (impact > this.maxImpact) this.maxImpact = impact;
  }
}

interface StoredDocument {
  key: string;
  /** Per-field lengths in terms. */
  lengths: Float32Array;
  /** termId * FIELD_SLOTS + field, for each distinct (term, field) pair. */
  termFields: Uint32Array;
  /** The frequency of each (term, field) pair. */
  frequencies: Uint16Array;
}

const FIELD_SLOTS = 16;

/** A BM25F index over documents made of token fields, with incremental updates and MaxScore top-k. */
export class InvertedIndex {
  readonly fields: readonly Required<IndexField>[];
  readonly k1: number;
  readonly #termIds = new Map<string, number>();
  readonly #terms: string[] = [];
  readonly #postings: PostingList[] = [];
  /** Documents by internal id; undefined once removed. */
  #documents: (StoredDocument | undefined)[] = [];
  readonly #idsByKey = new Map<string, number>();
  #alive = new Uint8Array(64);
  #totalLengths: Float64Array;
  /** The average field lengths the stored impacts were computed with. */
  #normalisedWith: Float64Array;
  #removedSinceCompaction = 0;

  constructor(options: InvertedIndexOptions) {
    if (options.fields.length === 0 || options.fields.length > FIELD_SLOTS) {
      throw new RangeError(`An inverted index needs 1 to ${FIELD_SLOTS} fields, got ${options.fields.length}`);
    }
    this.fields = options.fields.map((field) => ({ name: field.name, boost: field.boost, b: field.b ?? 0.75 }));
    this.k1 = options.k1 ?? 1.2;
    this.#totalLengths = new Float64Array(this.fields.length);
    this.#normalisedWith = new Float64Array(this.fields.length).fill(Number.NaN);
  }

  /** Live documents. */
  get size(): number {
    return this.#idsByKey.size;
  }

  /** Distinct terms seen (including those of removed documents until compaction). */
  get vocabularySize(): number {
    return this.#terms.length;
  }

  has(key: string): boolean {
    return this.#idsByKey.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#idsByKey.keys();
  }

  /** Adds (or replaces) a document given as one token list per field, in the order of `fields`. */
  add(key: string, fieldTokens: readonly (readonly string[])[]): void {
    if (this.#idsByKey.has(key)) this.remove(key);
    const id = this.#documents.length;
    const counts = new Map<number, number>();
    const lengths = new Float32Array(this.fields.length);
    for (let field = 0; field < this.fields.length; field++) {
      const tokens = fieldTokens[field] ?? [];
      lengths[field] = tokens.length;
      this.#totalLengths[field] = (this.#totalLengths[field] ?? 0) + tokens.length;
      for (const token of tokens) {
        const slot = this.#termId(token) * FIELD_SLOTS + field;
        counts.set(slot, (counts.get(slot) ?? 0) + 1);
      }
    }
    const termFields = new Uint32Array(counts.size);
    const frequencies = new Uint16Array(counts.size);
    let index = 0;
    for (const [slot, count] of [...counts].sort((a, b) => a[0] - b[0])) {
      termFields[index] = slot;
      frequencies[index] = Math.min(count, 65_535);
      index++;
    }
    const document: StoredDocument = { key, lengths, termFields, frequencies };
    this.#documents.push(document);
    this.#idsByKey.set(key, id);
    if (id >= this.#alive.length) {
      const alive = new Uint8Array(this.#alive.length * 2);
      alive.set(this.#alive);
      this.#alive = alive;
    }
    this.#alive[id] = 1;
    if (Number.isNaN(this.#normalisedWith[0])) this.#normalisedWith = this.#averageLengths();
    this.#postDocument(id, document);
  }

  /** Removes a document; returns whether it was there. */
  remove(key: string): boolean {
    const id = this.#idsByKey.get(key);
    if (id === undefined) return false;
    const document = this.#documents[id];
    this.#idsByKey.delete(key);
    this.#alive[id] = 0;
    this.#documents[id] = undefined;
    if (document !== undefined) {
      for (let field = 0; field < this.fields.length; field++) this.#totalLengths[field]! -= document.lengths[field] ?? 0;
      let previous = -1;
      for (const slot of document.termFields) {
        const term = Math.floor(slot / FIELD_SLOTS);
        if (term !== previous) this.#postings[term]!.df--;
        previous = term;
      }
    }
    this.#removedSinceCompaction++;
    return true;
  }

  /** Inverse document frequency of a term among live documents (0 for unknown terms). */
  idf(term: string): number {
    const id = this.#termIds.get(term);
    if (id === undefined) return 0;
    const df = this.#postings[id]!.df;
    if (df <= 0) return 0;
    const n = this.size;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /**
   * The score a document made of exactly these terms (in field 0) would get for them as a query: the most
   * a query can score against this collection, used to turn scores into similarities in [0, 1].
   */
  selfScore(terms: readonly string[]): number {
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    const field = this.fields[0]!;
    const average = Math.max(this.#totalLengths[0]! / Math.max(1, this.size), 1e-9);
    let score = 0;
    for (const [term, count] of counts) {
      const pseudo = (field.boost * count) / normaliser(field.b, terms.length, average);
      score += (this.idf(term) * pseudo * (this.k1 + 1)) / (pseudo + this.k1);
    }
    return score;
  }

  /** The k best documents for the query terms (repeated terms count once), best first; ties keep insertion order. */
  search(terms: readonly string[], k: number, options: IndexSearchOptions = {}): IndexHit[] {
    if (k <= 0 || this.size === 0) return [];
    this.#maintain();
    const lists: { list: PostingList; idf: number; bound: number }[] = [];
    for (const term of new Set(terms)) {
      const id = this.#termIds.get(term);
      if (id === undefined) continue;
      const list = this.#postings[id]!;
      const idf = this.idf(term);
      if (idf <= 0 || list.length === 0) continue;
      lists.push({ list, idf, bound: idf * list.maxImpact });
    }
    if (lists.length === 0) return [];
    const heap = new TopK(k);
    const candidates = options.exhaustive ?? lists.length > 8 ? this.#scoreExhaustively(lists, heap, options.filter) : this.#scoreMaxScore(lists, heap, options.filter);
    if (options.stats !== undefined) options.stats.candidates = candidates;
    return heap.sorted().map(({ doc, score }) => ({ key: this.#documents[doc]!.key, score }));
  }

  /** What each field contributed to a document's score for the query. */
  explain(key: string, terms: readonly string[]): FieldContribution[] {
    const id = this.#idsByKey.get(key);
    const document = id === undefined ? undefined : this.#documents[id];
    if (document === undefined) return [];
    this.#maintain();
    const averages = this.#normalisedWith;
    const contributions = this.fields.map((field) => ({ field: field.name, score: 0, terms: [] as string[] }));
    for (const term of new Set(terms)) {
      const termId = this.#termIds.get(term);
      if (termId === undefined) continue;
      const idf = this.idf(term);
      const perField = this.fields.map((field, index) => {
        const frequency = frequencyOf(document, termId * FIELD_SLOTS + index);
        return frequency === 0 ? 0 : (field.boost * frequency) / normaliser(field.b, document.lengths[index] ?? 0, averages[index] ?? 1);
      });
      const pseudo = perField.reduce((sum, value) => sum + value, 0);
      if (pseudo === 0) continue;
      const total = (idf * pseudo * (this.k1 + 1)) / (pseudo + this.k1);
      perField.forEach((value, index) => {
        if (value === 0) return;
        const contribution = contributions[index]!;
        contribution.score += (total * value) / pseudo;
        contribution.terms.push(term);
      });
    }
    return contributions.filter((contribution) => contribution.score > 0).sort((a, b) => b.score - a.score);
  }

  #termId(term: string): number {
    let id = this.#termIds.get(term);
    if (id === undefined) {
      id = this.#terms.length;
      this.#termIds.set(term, id);
      this.#terms.push(term);
      this.#postings.push(new PostingList());
    }
    return id;
  }

  /** Appends a document's postings with impacts computed against the current normalisation. */
  #postDocument(id: number, document: StoredDocument): void {
    const averages = this.#normalisedWith;
    const { termFields, frequencies, lengths } = document;
    let index = 0;
    while (index < termFields.length) {
      const term = Math.floor(termFields[index]! / FIELD_SLOTS);
      let pseudo = 0;
      while (index < termFields.length && Math.floor(termFields[index]! / FIELD_SLOTS) === term) {
        const field = termFields[index]! % FIELD_SLOTS;
        const spec = this.fields[field]!;
        pseudo += (spec.boost * frequencies[index]!) / normaliser(spec.b, lengths[field] ?? 0, averages[field] ?? 1);
        index++;
      }
      const list = this.#postings[term]!;
      list.df++;
      if (pseudo > 0) list.push(id, (pseudo * (this.k1 + 1)) / (pseudo + this.k1));
    }
  }

  #averageLengths(): Float64Array {
    const n = Math.max(1, this.size);
    return this.#totalLengths.map((total) => Math.max(total / n, 1e-9));
  }

  /** Compacts tombstones and re-normalises impacts when the collection has drifted enough to matter. */
  #maintain(): void {
    const averages = this.#averageLengths();
    const drifted = averages.some((average, field) => Math.abs(average - (this.#normalisedWith[field] ?? 0)) > 0.1 * Math.max(average, 1e-9));
    const dead = this.#removedSinceCompaction > Math.max(32, this.size / 4);
    if (!drifted && !dead) return;
    this.#normalisedWith = averages;
    this.#removedSinceCompaction = 0;
    for (const list of this.#postings) {
      list.length = 0;
      list.df = 0;
      list.maxImpact = 0;
    }
    // Renumber live documents densely, keeping their order (ties are broken by insertion order).
    const documents: StoredDocument[] = [];
    for (const document of this.#documents) if (document !== undefined) documents.push(document);
    this.#documents = documents;
    this.#alive = new Uint8Array(Math.max(64, documents.length * 2));
    this.#idsByKey.clear();
    documents.forEach((document, id) => {
      this.#idsByKey.set(document.key, id);
      this.#alive[id] = 1;
      this.#postDocument(id, document);
    });
  }

  #scoreExhaustively(lists: { list: PostingList; idf: number }[], heap: TopK, filter: ((key: string) => boolean) | undefined): number {
    const scores = new Float64Array(this.#documents.length);
    const alive = this.#alive;
    const touched: number[] = [];
    for (const { list, idf } of lists) {
      const { docs, impacts, length } = list;
      for (let i = 0; i < length; i++) {
        const doc = docs[i]!;
        if (alive[doc] !== 1) continue;
        if (scores[doc] === 0) touched.push(doc);
        scores[doc]! += idf * impacts[i]!;
      }
    }
    const documents = this.#documents;
    // The heap breaks ties by document order, so the touched documents need no sorting.
    for (const doc of touched) {
      const score = scores[doc]!;
      if (heap.full && score < heap.threshold) continue;
      if (filter !== undefined && !filter(documents[doc]!.key)) continue;
      heap.offer(doc, score);
    }
    return touched.length;
  }

  #scoreMaxScore(
    input: { list: PostingList; idf: number; bound: number }[],
    heap: TopK,
    filter: ((key: string) => boolean) | undefined,
  ): number {
    // Weakest bound first; prefix[i] = sum of the bounds of terms 0..i-1.
    const lists = [...input].sort((a, b) => a.bound - b.bound);
    const count = lists.length;
    const prefix = new Float64Array(count + 1);
    for (let i = 0; i < count; i++) prefix[i + 1] = prefix[i]! + lists[i]!.bound;
    const cursors = new Int32Array(count);
    const docsOf = lists.map((entry) => entry.list.docs);
    const impactsOf = lists.map((entry) => entry.list.impacts);
    const lengthsOf = lists.map((entry) => entry.list.length);
    const idfs = lists.map((entry) => entry.idf);
    const alive = this.#alive;
    let firstEssential = 0;
    const END = 2_147_483_647;
    let candidates = 0;

    for (;;) {
      // The next candidate is the smallest current document among the essential lists.
      let doc = END;
      for (let i = firstEssential; i < count; i++) {
        const cursor = cursors[i]!;
        if (cursor < lengthsOf[i]!) {
          const candidate = docsOf[i]![cursor]!;
          if (candidate < doc) doc = candidate;
        }
      }
      if (doc === END) break;
      candidates++;
      let score = 0;
      for (let i = firstEssential; i < count; i++) {
        const cursor = cursors[i]!;
        if (cursor < lengthsOf[i]! && docsOf[i]![cursor] === doc) {
          score += idfs[i]! * impactsOf[i]![cursor]!;
          cursors[i] = cursor + 1;
        }
      }
      if (alive[doc] !== 1) continue;
      const threshold = heap.threshold;
      // Probe the non-essential lists, strongest first, while the document can still make the top k.
      for (let i = firstEssential - 1; i >= 0; i--) {
        if (score + prefix[i + 1]! <= threshold) break;
        const docs = docsOf[i]!;
        const position = seek(docs, cursors[i]!, lengthsOf[i]!, doc);
        cursors[i] = position;
        if (position < lengthsOf[i]! && docs[position] === doc) score += idfs[i]! * impactsOf[i]![position]!;
      }
      if (score <= threshold) continue;
      if (filter !== undefined && !filter(this.#documents[doc]!.key)) continue;
      heap.offer(doc, score);
      if (heap.full) {
        const updated = heap.threshold;
        while (firstEssential < count && prefix[firstEssential + 1]! <= updated) firstEssential++;
      }
    }
    return candidates;
  }
}

function normaliser(b: number, length: number, average: number): number {
  return 1 - b + (b * length) / average;
}

function frequencyOf(document: StoredDocument, slot: number): number {
  const { termFields } = document;
  let low = 0;
  let high = termFields.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const value = termFields[middle]!;
    if (value === slot) return document.frequencies[middle]!;
    if (value < slot) low = middle + 1;
    else high = middle - 1;
  }
  return 0;
}

/** The first position >= from whose document is >= target (galloping, then binary search). */
function seek(docs: Int32Array, from: number, length: number, target: number): number {
  if (from >= length || docs[from]! >= target) return from;
  let step = 1;
  let low = from;
  let high = from + 1;
  while (high < length && docs[high]! < target) {
    low = high;
    step *= 2;
    high = from + step;
  }
  if (high > length) high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (docs[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A bounded min-heap keeping the k best (score, doc) pairs; among equal scores the earlier doc wins. */
class TopK {
  readonly #k: number;
  readonly #docs: number[] = [];
  readonly #scores: number[] = [];

  constructor(k: number) {
    this.#k = k;
  }

  get full(): boolean {
    return this.#docs.length >= this.#k;
  }

  /** The score a document must beat to enter (0 until the heap is full). */
  get threshold(): number {
    return this.full ? this.#scores[0]! : 0;
  }

  offer(doc: number, score: number): void {
    if (this.full) {
      if (!this.#better(score, doc, this.#scores[0]!, this.#docs[0]!)) return;
      this.#docs[0] = doc;
      this.#scores[0] = score;
      this.#down(0);
      return;
    }
    this.#docs.push(doc);
    this.#scores.push(score);
    this.#up(this.#docs.length - 1);
  }

  sorted(): { doc: number; score: number }[] {
    return this.#docs
      .map((doc, index) => ({ doc, score: this.#scores[index]! }))
      .sort((a, b) => b.score - a.score || a.doc - b.doc);
  }

  /** Whether (score a, doc a) ranks above (score b, doc b). */
  #better(scoreA: number, docA: number, scoreB: number, docB: number): boolean {
    return scoreA > scoreB || (scoreA === scoreB && docA < docB);
  }

  #up(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#better(this.#scores[parent]!, this.#docs[parent]!, this.#scores[index]!, this.#docs[index]!)) break;
      this.#swap(index, parent);
      index = parent;
    }
  }

  #down(index: number): void {
    const size = this.#docs.length;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let worst = index;
      if (left < size && this.#better(this.#scores[worst]!, this.#docs[worst]!, this.#scores[left]!, this.#docs[left]!)) worst = left;
      if (right < size && this.#better(this.#scores[worst]!, this.#docs[worst]!, this.#scores[right]!, this.#docs[right]!)) worst = right;
      if (worst === index) return;
      this.#swap(index, worst);
      index = worst;
    }
  }

  #swap(a: number, b: number): void {
    const doc = this.#docs[a]!;
    this.#docs[a] = this.#docs[b]!;
    this.#docs[b] = doc;
    const score = this.#scores[a]!;
    this.#scores[a] = this.#scores[b]!;
    this.#scores[b] = score;
  }
}
