/*
 * A BM25F inverted index with top-k retrieval by block-max MaxScore (Turtle & Flood 1995; with per-block
 * bounds as in Ding & Suel 2011 and Lucene's MaxScore bulk scorer). Document ids are cut into windows of
 * 1,024; every posting list keeps, for each window it has postings in, the largest impact there. A query is
 * processed window by window: its terms are ordered by their bound *in that window*, and the weakest terms
 * whose summed bounds cannot lift a document past the current k-th best score are "non-essential". Only the
 * essential terms' postings are accumulated (term at a time, within the window); a candidate found there
 * probes the non-essential lists only while it can still enter the top k; a window where even all terms
 * together cannot beat the k-th score is skipped outright. Queries of any length take this path, and it
 * allocates nothing per query beyond the returned hits: the accumulators, the heap and the per-term cursors
 * are kept between queries. A plain index scores and sorts every document that shares a common word with
 * the query, which is what makes its tail latency grow with the collection.
 *
 * Documents can be added and removed at any time: removal leaves a tombstone, and postings are compacted
 * (and impacts re-normalised to the current average field lengths) once enough has changed, at the next
 * search or when `optimize()` is called (for example after a bulk load, so no query pays for it).
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
  /** Score every matching document, without pruning (the reference the pruned path is tested against). */
  exhaustive?: boolean;
  /** Filled with the number of documents that were scored and the windows skipped (to measure pruning). */
  stats?: { candidates: number; skippedWindows?: number };
}

/** How much one field contributed to a document's score, and through which terms. */
export interface FieldContribution {
  field: string;
  score: number;
  terms: string[];
}

/** Document ids per window: the granularity of the per-block score bounds. */
const WINDOW_BITS = 10;
const WINDOW = 1 << WINDOW_BITS;
const END = 2_147_483_647;
/**
 * Term contributions are rounded to multiples of 2^-32 and summed as integers (scaled by 2^32), which float64
 * holds exactly up to 2^53: a document's score is then the same whatever order its terms are added in, so the
 * pruned path, the exhaustive path and any brute-force scorer agree bit for bit, ties included.
 */
const SCALE = 2 ** 32;

class PostingList {
  docs: Int32Array = new Int32Array(4);
  impacts: Float32Array = new Float32Array(4);
  length = 0;
  /** Documents of this list that are still alive (the term's document frequency). */
  df = 0;
  maxImpact = 0;
  /** The windows this list has postings in (ascending), where each starts in `docs`, and its largest impact there. */
  windows: Int32Array = new Int32Array(2);
  windowStarts: Int32Array = new Int32Array(2);
  windowMax: Float32Array = new Float32Array(2);
  windowCount = 0;

  push(doc: number, impact: number): void {
    if (this.length === this.docs.length) {
      this.docs = grow(this.docs, this.length * 2);
      this.impacts = growFloat(this.impacts, this.length * 2);
    }
    const window = doc >>> WINDOW_BITS;
    const last = this.windowCount - 1;
    if (last >= 0 && this.windows[last] === window) {
      if (impact > this.windowMax[last]!) this.windowMax[last] = impact;
    } else {
      if (this.windowCount === this.windows.length) {
        this.windows = grow(this.windows, this.windowCount * 2);
        this.windowStarts = grow(this.windowStarts, this.windowCount * 2);
        this.windowMax = growFloat(this.windowMax, this.windowCount * 2);
      }
      this.windows[this.windowCount] = window;
      this.windowStarts[this.windowCount] = this.length;
      this.windowMax[this.windowCount] = impact;
      this.windowCount++;
    }
    this.docs[this.length] = doc;
    this.impacts[this.length] = impact;
    this.length++;
    if (impact > this.maxImpact) this.maxImpact = impact;
  }

  clear(): void {
    this.length = 0;
    this.df = 0;
    this.maxImpact = 0;
    this.windowCount = 0;
  }

  /** The end (exclusive) in `docs` of window entry `entry`. */
  windowEnd(entry: number): number {
    return entry + 1 < this.windowCount ? this.windowStarts[entry + 1]! : this.length;
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

/**
 * Per-query working memory, kept between queries so that searching allocates nothing: one slot per
 * distinct query term, plus a window's accumulators and a bitset of the documents they hold.
 */
class Scratch {
  lists: PostingList[] = [];
  idfs = new Float64Array(16);
  /** The cursor of each term into its list's windows, and into its postings (for probing). */
  windowCursors = new Int32Array(16);
  postingCursors = new Int32Array(16);
  postingEnds = new Int32Array(16);
  bounds = new Float64Array(16);
  /** Terms present in the current window, weakest bound first, and prefix sums of their bounds. */
  order = new Int32Array(16);
  prefix = new Float64Array(17);
  readonly accumulators = new Float64Array(WINDOW);
  readonly bits = new Uint32Array(WINDOW >>> 5);
  /** Per term id: the query it was last seen in (deduplicates query terms without a Set). */
  seen = new Int32Array(64);
  query = 0;
  /** What the last query scored and skipped (read into `IndexSearchOptions.stats`). */
  candidates = 0;
  skippedWindows = 0;

  ensureTerms(count: number): void {
    if (count <= this.idfs.length) return;
    const size = Math.max(count, this.idfs.length * 2);
    this.idfs = new Float64Array(size);
    this.windowCursors = new Int32Array(size);
    this.postingCursors = new Int32Array(size);
    this.postingEnds = new Int32Array(size);
    this.bounds = new Float64Array(size);
    this.order = new Int32Array(size);
    this.prefix = new Float64Array(size + 1);
  }

  ensureVocabulary(size: number): void {
    if (size > this.seen.length) this.seen = grow(this.seen, Math.max(size, this.seen.length * 2));
  }
}

/** A BM25F index over documents made of token fields, with incremental updates and block-max MaxScore top-k. */
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
  /** Whether documents were added or removed since the last maintenance check. */
  #changed = false;
  readonly #scratch = new Scratch();
  readonly #heap = new TopK();

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
    if (id >= this.#alive.length) this.#alive = growBytes(this.#alive, this.#alive.length * 2);
    this.#alive[id] = 1;
    if (Number.isNaN(this.#normalisedWith[0])) this.#normalisedWith = this.#averageLengths();
    this.#postDocument(id, document);
    this.#changed = true;
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
    this.#changed = true;
    return true;
  }

  /**
   * Compacts removed documents and re-normalises impacts now if the collection changed enough since the
   * last time (otherwise the next search does it). Call it after a bulk load so that no query pays for it.
   */
  optimize(): void {
    this.#maintain();
  }

  /** The average field lengths the stored impacts are normalised with (refreshed when they drift by over 10%). */
  get normalisationLengths(): readonly number[] {
    this.#maintain();
    return [...this.#normalisedWith];
  }

  /** Inverse document frequency of a term among live documents (0 for unknown terms). */
  idf(term: string): number {
    const id = this.#termIds.get(term);
    return id === undefined ? 0 : this.#idfOf(this.#postings[id]!);
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
    if (k <= 0 || this.size === 0 || terms.length === 0) return [];
    this.#maintain();
    const count = this.#collectTerms(terms);
    if (count === 0) return [];
    const heap = this.#heap;
    heap.reset(k);
    if (options.exhaustive === true) this.#scoreExhaustively(count, options.filter);
    else this.#scoreWindows(count, options.filter);
    if (options.stats !== undefined) {
      options.stats.candidates = this.#scratch.candidates;
      options.stats.skippedWindows = this.#scratch.skippedWindows;
    }
    this.#scratch.lists.length = 0;
    return heap.drain((doc, score) => ({ key: this.#documents[doc]!.key, score: score / SCALE }));
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

  #idfOf(list: PostingList): number {
    const df = list.df;
    if (df <= 0) return 0;
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** Puts the distinct known query terms with a positive idf into the scratch slots; returns how many. */
  #collectTerms(terms: readonly string[]): number {
    const scratch = this.#scratch;
    scratch.ensureVocabulary(this.#terms.length);
    scratch.ensureTerms(terms.length);
    const query = ++scratch.query;
    if (query === END) {
      scratch.seen.fill(0);
      scratch.query = 1;
    }
    let count = 0;
    for (const term of terms) {
      const id = this.#termIds.get(term);
      if (id === undefined || scratch.seen[id] === scratch.query) continue;
      scratch.seen[id] = scratch.query;
      const list = this.#postings[id]!;
      const idf = this.#idfOf(list);
      if (idf <= 0 || list.length === 0) continue;
      scratch.lists[count] = list;
      scratch.idfs[count] = idf * SCALE;
      count++;
    }
    return count;
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
    if (!this.#changed) return;
    this.#changed = false;
    const averages = this.#averageLengths();
    const drifted = averages.some((average, field) => Math.abs(average - (this.#normalisedWith[field] ?? 0)) > 0.1 * Math.max(average, 1e-9));
    const dead = this.#removedSinceCompaction > Math.max(32, this.size / 4);
    if (!drifted && !dead) return;
    this.#normalisedWith = averages;
    this.#removedSinceCompaction = 0;
    for (const list of this.#postings) list.clear();
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

  /** The reference: every matching document scored, term at a time, no pruning. */
  #scoreExhaustively(count: number, filter: ((key: string) => boolean) | undefined): void {
    const { lists, idfs } = this.#scratch;
    const scores = new Float64Array(this.#documents.length);
    const alive = this.#alive;
    const touched: number[] = [];
    for (let t = 0; t < count; t++) {
      const { docs, impacts, length } = lists[t]!;
      const idf = idfs[t]!;
      for (let i = 0; i < length; i++) {
        const doc = docs[i]!;
        if (alive[doc] !== 1) continue;
        if (scores[doc] === 0) touched.push(doc);
        scores[doc]! += Math.round(idf * impacts[i]!);
      }
    }
    for (const doc of touched) {
      if (filter !== undefined && !filter(this.#documents[doc]!.key)) continue;
      this.#heap.offer(doc, scores[doc]!);
    }
    this.#scratch.candidates = touched.length;
    this.#scratch.skippedWindows = 0;
  }

  /** Block-max MaxScore, window by window (see the comment at the top of the file). */
  #scoreWindows(count: number, filter: ((key: string) => boolean) | undefined): void {
    const scratch = this.#scratch;
    const { lists, idfs, windowCursors, postingCursors, postingEnds, bounds, order, prefix, accumulators, bits } = scratch;
    const heap = this.#heap;
    const alive = this.#alive;
    windowCursors.fill(0, 0, count);
    let candidates = 0;
    let skippedWindows = 0;
    for (;;) {
      // The next window any term has postings in.
      let window = END;
      for (let t = 0; t < count; t++) {
        const list = lists[t]!;
        const cursor = windowCursors[t]!;
        if (cursor < list.windowCount) {
          const candidate = list.windows[cursor]!;
          if (candidate < window) window = candidate;
        }
      }
      if (window === END) break;
      // The terms present in this window, ordered by their bound here (insertion sort: queries are short).
      let present = 0;
      for (let t = 0; t < count; t++) {
        const list = lists[t]!;
        const cursor = windowCursors[t]!;
        if (cursor >= list.windowCount || list.windows[cursor] !== window) continue;
        // Rounding is monotone, so the rounded bound still bounds every rounded contribution in the window.
        const bound = Math.round(idfs[t]! * list.windowMax[cursor]!);
        bounds[t] = bound;
        postingCursors[t] = list.windowStarts[cursor]!;
        postingEnds[t] = list.windowEnd(cursor);
        windowCursors[t] = cursor + 1;
        let position = present++;
        while (position > 0 && bounds[order[position - 1]!]! > bound) {
          order[position] = order[position - 1]!;
          position--;
        }
        order[position] = t;
      }
      for (let i = 0; i < present; i++) prefix[i + 1] = prefix[i]! + bounds[order[i]!]!;
      const full = heap.full;
      let threshold = heap.threshold;
      // Skip a window where all its terms together cannot reach the k-th score.
      if (full && prefix[present]! < threshold) {
        skippedWindows++;
        continue;
      }
      // Non-essential: the weakest terms whose summed bounds stay below the k-th score.
      let essential = 0;
      if (full) while (essential < present && prefix[essential + 1]! < threshold) essential++;
      const base = window << WINDOW_BITS;
      for (let i = essential; i < present; i++) {
        const t = order[i]!;
        const { docs, impacts } = lists[t]!;
        const idf = idfs[t]!;
        const end = postingEnds[t]!;
        for (let p = postingCursors[t]!; p < end; p++) {
          const offset = docs[p]! - base;
          bits[offset >>> 5]! |= 1 << (offset & 31);
          accumulators[offset]! += Math.round(idf * impacts[p]!);
        }
      }
      // Candidates in document order, so the non-essential lists are probed forwards only.
      for (let word = 0; word < bits.length; word++) {
        let set = bits[word]!;
        if (set === 0) continue;
        bits[word] = 0;
        while (set !== 0) {
          const lowest = set & -set;
          set ^= lowest;
          const offset = (word << 5) + 31 - Math.clz32(lowest);
          let score = accumulators[offset]!;
          accumulators[offset] = 0;
          const doc = base + offset;
          if (alive[doc] !== 1) continue;
          candidates++;
          threshold = heap.threshold;
          const open = !heap.full;
          let reachable = true;
          for (let i = essential - 1; i >= 0; i--) {
            if (!open && score + prefix[i + 1]! < threshold) {
              reachable = false;
              break;
            }
            const t = order[i]!;
            const { docs, impacts } = lists[t]!;
            const position = seek(docs, postingCursors[t]!, postingEnds[t]!, doc);
            postingCursors[t] = position;
            if (position < postingEnds[t]! && docs[position] === doc) score += Math.round(idfs[t]! * impacts[position]!);
          }
          if (!reachable || (!open && score < threshold)) continue;
          if (filter !== undefined && !filter(this.#documents[doc]!.key)) continue;
          heap.offer(doc, score);
        }
      }
    }
    scratch.candidates = candidates;
    scratch.skippedWindows = skippedWindows;
  }
}

function normaliser(b: number, length: number, average: number): number {
  return 1 - b + (b * length) / average;
}

function grow(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(size);
  grown.set(array);
  return grown;
}

function growFloat(array: Float32Array, size: number): Float32Array<ArrayBuffer> {
  const grown = new Float32Array(size);
  grown.set(array);
  return grown;
}

function growBytes(array: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(size);
  grown.set(array);
  return grown;
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

/** The first position in [from, length) whose document is >= target (galloping, then binary search). */
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

/**
 * A bounded min-heap keeping the k best (score, doc) pairs in typed arrays that are reused between
 * queries; among equal scores the earlier doc wins.
 */
class TopK {
  #k = 0;
  #size = 0;
  #docs = new Int32Array(16);
  #scores = new Float64Array(16);

  reset(k: number): void {
    this.#k = k;
    this.#size = 0;
    if (k > this.#docs.length) {
      this.#docs = new Int32Array(k);
      this.#scores = new Float64Array(k);
    }
  }

  get full(): boolean {
    return this.#size >= this.#k;
  }

  /** The score a document must reach to enter (-Infinity until the heap is full). */
  get threshold(): number {
    return this.#size >= this.#k ? this.#scores[0]! : Number.NEGATIVE_INFINITY;
  }

  offer(doc: number, score: number): void {
    const docs = this.#docs;
    const scores = this.#scores;
    if (this.#size >= this.#k) {
      if (!(score > scores[0]! || (score === scores[0]! && doc < docs[0]!))) return;
      docs[0] = doc;
      scores[0] = score;
      this.#down(0);
      return;
    }
    let index = this.#size++;
    // Sift up: the root holds the worst pair.
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!worse(score, doc, scores[parent]!, docs[parent]!)) break;
      docs[index] = docs[parent]!;
      scores[index] = scores[parent]!;
      index = parent;
    }
    docs[index] = doc;
    scores[index] = score;
  }

  /** Empties the heap into hits, best first. */
  drain<T>(hit: (doc: number, score: number) => T): T[] {
    const size = this.#size;
    const out = new Array<T>(size);
    for (let position = size - 1; position >= 0; position--) {
      out[position] = hit(this.#docs[0]!, this.#scores[0]!);
      this.#size--;
      if (this.#size > 0) {
        this.#docs[0] = this.#docs[this.#size]!;
        this.#scores[0] = this.#scores[this.#size]!;
        this.#down(0);
      }
    }
    return out;
  }

  #down(index: number): void {
    const docs = this.#docs;
    const scores = this.#scores;
    const size = this.#size;
    const doc = docs[index]!;
    const score = scores[index]!;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= size) break;
      const right = left + 1;
      let child = left;
      if (right < size && worse(scores[right]!, docs[right]!, scores[left]!, docs[left]!)) child = right;
      if (!worse(scores[child]!, docs[child]!, score, doc)) break;
      docs[index] = docs[child]!;
      scores[index] = scores[child]!;
      index = child;
    }
    docs[index] = doc;
    scores[index] = score;
  }
}

/** Whether (score a, doc a) ranks below (score b, doc b). */
function worse(scoreA: number, docA: number, scoreB: number, docB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && docA > docB);
}
