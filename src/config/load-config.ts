import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ValidationIssue } from '../errors/index.js';
import { arborConfigSchema, type ArborConfig } from './schema.js';
import { safeParse } from '../internal/safe-parse.js';

/** File names looked for, in this order, in the working directory. */
export const CONFIG_FILE_NAMES = ['arbor.config.ts', 'arbor.config.mts', 'arbor.config.js', 'arbor.config.mjs', 'arbor.config.json'] as const;

export interface LoadedConfig {
  config: ArborConfig;
  /** Absolute path of the file it came from. */
  file: string;
  /** Its directory: relative paths in the config resolve against it. */
  dir: string;
}

export interface LoadConfigOptions {
  /** Where to look for the file. Default: process.cwd(). */
  cwd?: string;
  /** An explicit file (relative to cwd); it must exist. */
  file?: string;
}

/** The config file in `cwd`, or undefined. Two candidates at once is an error: which one would win is not obvious. */
export function findConfigFile(cwd = process.cwd()): string | undefined {
  const found = CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).filter((path) => existsSync(path));
  if (found.length > 1) {
    throw new ConfigError(found[0] as string, [{ path: [], message: `more than one config file: ${found.map((path) => basename(path)).join(', ')}` }], {
      hint: 'Keep one of them.',
    });
  }
  return found[0];
}

/**
 * Reads, parses and validates the configuration. Returns undefined when there is no config file (and none
 * was named). Errors are ConfigError naming the file and the field.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig | undefined> {
  const cwd = options.cwd ?? process.cwd();
  const file = options.file === undefined ? findConfigFile(cwd) : resolve(cwd, options.file);
  if (file === undefined) return undefined;
  if (!existsSync(file)) throw new ConfigError(file, [{ path: [], message: 'the file does not exist' }], { hint: 'Check the --config path.' });
  const raw = file.endsWith('.json') ? readJsonConfig(file) : await importConfigModule(file);
  return { config: parseConfig(raw, file), file, dir: dirname(file) };
}

/** Validates a configuration value; `file` names it in errors. */
export function parseConfig(value: unknown, file = 'arbor.config.json'): ArborConfig {
  const result = safeParse(arborConfigSchema, value);
  if (result.success) return result.data;
  throw new ConfigError(file, flattenIssues(result.error.issues));
}

function readJsonConfig(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: [], message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` }], { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message)?.[1];
    const where = position === undefined ? '' : ` at ${lineAndColumn(text, Number(position))}`;
    throw new ConfigError(file, [{ path: [], message: `is not valid JSON${where}: ${message}` }], { cause: error, hint: 'Fix the JSON syntax (no comments or trailing commas).' });
  }
}

async function importConfigModule(file: string): Promise<unknown> {
  // jiti compiles TypeScript on the fly, so arbor.config.ts works without a build step or a loader flag.
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false });
  let exported: unknown;
  try {
    exported = await jiti.import(file, { default: true });
  } catch (error) {
    throw new ConfigError(file, [{ path: [], message: `failed to load: ${error instanceof Error ? error.message : String(error)}` }], {
      cause: error,
      hint: 'Run the file with node or tsc to see the error in full.',
    });
  }
  // `export default defineConfig({...})`, or a function (possibly async) returning it.
  return typeof exported === 'function' ? await (exported as () => unknown)() : exported;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Zod issues as path + message, picking the closest branch of unions (a stdio or an HTTP server). */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): ValidationIssue[] {
  const flat: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // The closest branch: one whose shape fits (no type mismatch or unknown key at the union itself), then fewest issues.
      const misfit = (branch: readonly z.core.$ZodIssue[]) => (branch.some((inner) => inner.path.length === 0 && (inner.code === 'invalid_type' || inner.code === 'unrecognized_keys')) ? 1 : 0);
      const closest = [...issue.errors].sort((a, b) => misfit(a) - misfit(b) || a.length - b.length)[0] ?? [];
      flat.push(...flattenIssues(closest, path));
      continue;
    }
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`
        : issue.code === 'invalid_key'
          ? `invalid name: ${issue.issues.map((inner) => inner.message).join('; ')}`
          : issue.message;
    flat.push({ path: path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)), message, code: issue.code });
  }
  return flat;
}
