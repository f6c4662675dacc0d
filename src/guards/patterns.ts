import picomatch from 'picomatch';

/**
 * Name patterns for actions, sources and string arguments: globs with bash semantics (picomatch), where
 * `*` matches any run of characters including `/` and `.`, `?` one character, `{a,b}` alternatives and
 * `!(x)` extglobs. A pattern without glob characters matches only the exact name.
 */
export type NamePattern = string;

const cache = new Map<string, (value: string) => boolean>();

/** A compiled matcher for one pattern, cached (rules are matched on every call). */
export function patternMatcher(pattern: NamePattern): (value: string) => boolean {
  let matcher = cache.get(pattern);
  if (matcher === undefined) {
    matcher = isLiteral(pattern) ? (value: string) => value === pattern : picomatch(pattern, { bash: true, dot: true, nonegate: true });
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, matcher);
  }
  return matcher;
}

export function matchesPattern(patterns: NamePattern | readonly NamePattern[], value: string): boolean {
  return typeof patterns === 'string' ? patternMatcher(patterns)(value) : patterns.some((pattern) => patternMatcher(pattern)(value));
}

/** Whether a pattern names exactly one string (no glob characters). */
export function isLiteral(pattern: NamePattern): boolean {
  return !/[*?[\]{}()!+@|\\]/.test(pattern);
}
