import { inputJsonSchemaOf, type AnyAction } from '../actions/index.js';
import { analyze } from './text.js';

/** The fields of an action's retrieval document, in index order. */
export const DOCUMENT_FIELDS = ['name', 'description', 'parameters', 'tags', 'source'] as const;
export type DocumentField = (typeof DOCUMENT_FIELDS)[number];

/** Field boosts (BM25F): how much a term found in each field counts. */
export type FieldBoosts = Record<DocumentField, number>;

/**
 * Default boosts. Names and sources are short, so their length normalisation already lifts each word;
 * measured on ToolLens, equal boosts beat favouring the name (see ARCHITECTURE.md).
 */
export const DEFAULT_FIELD_BOOSTS: FieldBoosts = { name: 1, description: 1, parameters: 1, tags: 1, source: 1 };

/** The text of an action's retrieval document, one string per field. */
export type ActionDocument = Record<DocumentField, string>;

/** Builds the retrieval document of an action from its name, description, input schema, tags and origin. */
export function actionDocument(action: AnyAction): ActionDocument {
  return {
    name: action.name,
    description: action.description,
    parameters: parameterText(inputJsonSchemaOf(action)),
    tags: action.tags.join(' '),
    source: [action.group ?? '', action.source.name ?? ''].join(' '),
  };
}

/** The document's terms, field by field in DOCUMENT_FIELDS order. */
export function documentTerms(document: ActionDocument): string[][] {
  return DOCUMENT_FIELDS.map((field) => analyze(document[field]));
}

/** The text an embedding model is given for an action. */
export function embeddingText(document: ActionDocument): string {
  return [document.name, document.description, document.parameters, document.tags, document.source]
    .filter((part) => part.trim() !== '')
    .join('\n');
}

const MAX_PARAMETER_DEPTH = 3;
const MAX_PARAMETER_CHARS = 2_000;

/** Parameter names and descriptions of a JSON Schema (nested objects included, a few levels deep). */
export function parameterText(schema: unknown): string {
  const parts: string[] = [];
  let length = 0;
  const visit = (node: unknown, depth: number): void => {
    if (depth > MAX_PARAMETER_DEPTH || length > MAX_PARAMETER_CHARS || typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const properties = record.properties;
    if (typeof properties === 'object' && properties !== null) {
      for (const [name, property] of Object.entries(properties as Record<string, unknown>)) {
        const description = typeof property === 'object' && property !== null ? (property as Record<string, unknown>).description : undefined;
        const part = typeof description === 'string' ? `${name} ${description}` : name;
        parts.push(part);
        length += part.length;
        visit(property, depth + 1);
      }
    }
    if (typeof record.items === 'object') visit(record.items, depth + 1);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const variants = record[key];
      if (Array.isArray(variants)) for (const variant of variants) visit(variant, depth + 1);
    }
  };
  visit(schema, 0);
  return parts.join(' ').slice(0, MAX_PARAMETER_CHARS);
}
