import type { Json } from './api.js';

export interface JsonDifference {
  /** Where the values differ, such as `output.lines[1].quantity`. */
  path: string;
  left: Json | undefined;
  right: Json | undefined;
}

/** The places where two JSON values differ, outermost first, at most `limit` of them. */
export function jsonDifferences(left: Json | undefined, right: Json | undefined, limit = 12): JsonDifference[] {
  const found: JsonDifference[] = [];
  const visit = (a: Json | undefined, b: Json | undefined, path: string) => {
    if (found.length >= limit) return;
    const objectA = a !== null && typeof a === 'object';
    const objectB = b !== null && typeof b === 'object';
    if (objectA && objectB && Array.isArray(a) === Array.isArray(b)) {
      if (Array.isArray(a) && Array.isArray(b)) {
        for (let index = 0; index < Math.max(a.length, b.length); index++) visit(a[index], b[index], `${path}[${index}]`);
        return;
      }
      const recordA = a as Record<string, Json>;
      const recordB = b as Record<string, Json>;
      for (const key of new Set([...Object.keys(recordA), ...Object.keys(recordB)])) visit(recordA[key], recordB[key], path === '' ? key : `${path}.${key}`);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) found.push({ path: path === '' ? '(value)' : path, left: a, right: b });
  };
  visit(left, right, '');
  return found;
}
