import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors/index.js';

/**
 * Reads the OpenAPI document an `openapi.<name>.document` entry names: a file relative to the config (JSON
 * or YAML; YAML is a superset of JSON) or an http(s) URL. Failures are ConfigErrors naming that field.
 */
export async function readOpenApiDocument(document: string, options: { name: string; dir: string; file: string; signal?: AbortSignal }): Promise<unknown> {
  const field = ['openapi', options.name, 'document'];
  const fail = (message: string, cause?: unknown): never => {
    throw new ConfigError(options.file, [{ path: field, message }], { cause, hint: 'Point "document" at an OpenAPI 3.0/3.1 file (JSON or YAML) or URL.' });
  };
  let text: string;
  if (/^https?:\/\//i.test(document)) {
    try {
      const response = await fetch(document, options.signal === undefined ? {} : { signal: options.signal });
      if (!response.ok) fail(`${document} answered HTTP ${response.status}`);
      text = await response.text();
    } catch (error) {
      if (ConfigError.isInstance(error)) throw error;
      return fail(`cannot fetch ${document}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  } else {
    const path = isAbsolute(document) ? document : resolve(options.dir, document);
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      return fail(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, error);
    }
  }
  try {
    return parseYaml(text, { maxAliasCount: 1_000 }) as unknown;
  } catch (error) {
    return fail(`is neither JSON nor YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, error);
  }
}
