import { stemmer } from 'stemmer';

/*
 * Text analysis shared by the lexical index, the experience memory and the benchmarks: identifiers are
 * split into words (camelCase, snake_case, kebab-case, dotted names, URL paths), words are lower-cased and
 * Porter-stemmed, and function words are dropped from documents and queries alike.
 */

/** Function words that carry no tool-choice signal in descriptions or requests. */
const STOPWORDS = new Set(
  (
    'a an and are as at be but by for from has have i im in into is it its me my of on or our please so that the their them then ' +
    'there these this to was we were will with you your can could would should do does need want like get some any about also what ' +
    'which who how when where all'
  ).split(' '),
);

const ASCII_WORD = /^[a-z]+$/;

/**
 * Splits text and identifiers into lower-case words: `listRepoIssues`, `list_repo_issues`,
 * `list-repo-issues` and `GET /repos/{owner}/{repo}/issues` all give their words.
 */
export function splitWords(text: string): string[] {
  const spaced = text
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu}+)(\p{Lu}\p{Ll})/gu, '$1 $2')
    .replace(/'/g, '')
    .toLowerCase();
  return spaced.match(/[\p{L}\p{N}]+/gu) ?? [];
}

const STEM_CACHE_LIMIT = 200_000;
const stems = new Map<string, string>();

/** Stems an English word; other scripts and words with digits pass unchanged. Results are memoised. */
export function stem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    stemmed = ASCII_WORD.test(word) && word.length > 2 ? stemmer(word) : word;
    if (stems.size >= STEM_CACHE_LIMIT) stems.clear();
    stems.set(word, stemmed);
  }
  return stemmed;
}

/** The index terms of a text: split words, stop words dropped, stemmed. */
export function analyze(text: string): string[] {
  const terms: string[] = [];
  for (const word of splitWords(text)) {
    if (STOPWORDS.has(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}
