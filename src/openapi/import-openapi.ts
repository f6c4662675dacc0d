import { defineAction, type AnyAction, type Effect } from '../actions/index.js';
import { ArborError, HttpStatusError, OpenApiDocumentError, UsageError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import { deref, inlineSchema, isObject, lazyValidator, selfContainedSchema, type JsonObject } from './schema.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';
const METHODS: readonly HttpMethod[] = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Effects by HTTP method: reads are safe, writes change state, DELETE cannot be taken back. */
export const DEFAULT_METHOD_EFFECTS: Readonly<Record<HttpMethod, Effect>> = {
  get: 'read',
  head: 'read',
  options: 'read',
  trace: 'read',
  post: 'write',
  put: 'write',
  patch: 'write',
  delete: 'irreversible',
};

/** Overrides for one operation, keyed by its operationId or by `METHOD /path` (`DELETE /pets/{id}`). */
export interface OperationOverride {
  /** Leave the operation out. */
  skip?: boolean;
  name?: string;
  description?: string;
  effect?: Effect;
  idempotent?: boolean;
  cost?: number;
  tags?: string[];
  timeoutMs?: number;
}

/** Credentials sent with every call, read from an environment variable when the call is made. */
export type OpenApiAuth =
  | { type: 'bearer'; env: string; header?: string }
  | { type: 'header'; env: string; header: string; prefix?: string }
  | { type: 'query'; env: string; parameter: string };

export interface OpenApiImportOptions {
  /** The document's name in action sources and groups. Default: a slug of `info.title`. */
  name?: string;
  /** Prepended to every action name. Default `<name>.`; pass '' for bare operation names. */
  prefix?: string;
  /** Where calls go. Default: the document's first server (its variables at their defaults). */
  baseUrl?: string;
  auth?: OpenApiAuth;
  /** Extra headers sent with every call. */
  headers?: Record<string, string>;
  /** Effects per HTTP method. Default: DEFAULT_METHOD_EFFECTS (DELETE irreversible). */
  effects?: Partial<Record<HttpMethod, Effect>>;
  /** Per-operation overrides, keyed by operationId or `METHOD /path`. */
  operations?: Record<string, OperationOverride>;
  /** Time limit of each call in ms. Default: none beyond the executor's. */
  timeoutMs?: number;
  /** The fetch used for calls. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Where auth variables are read. Default: process.env. */
  env?: Record<string, string | undefined>;
}

/** An operation that was not imported, and why. */
export interface SkippedOperation {
  method: string;
  path: string;
  reason: string;
}

export interface ImportedOpenApi {
  name: string;
  actions: AnyAction[];
  skipped: SkippedOperation[];
}

/** What an imported operation's call returns, and what is recorded as the step's output. */
export interface OpenApiCallResult {
  status: number;
  body: JsonValue;
}

interface ParameterSpec {
  name: string;
  /** The key in the action's input. */
  key: string;
  location: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
}

const INLINE_LIMITS = { depth: 4, properties: 60 };
const MAX_DESCRIPTION = 1_000;

/**
 * Turns each operation of an OpenAPI 3.0/3.1 document into an action: GET reads, POST/PUT/PATCH write,
 * DELETE is irreversible (all configurable, per method and per operation). The input is an object of the
 * operation's parameters by name plus `body` for the request body; its JSON Schema is inlined for prompts
 * and retrieval, and its zod validator is built from the full schema on first use, so importing tens of
 * thousands of operations stays fast. Calls use fetch, honour the step's abort signal, and fail with a
 * typed error on a non-2xx status; the executor records every call.
 */
export function importOpenApi(document: unknown, options: OpenApiImportOptions = {}): ImportedOpenApi {
  const label = options.name ?? (isObject(document) && isObject(document.info) && typeof document.info.title === 'string' ? document.info.title : 'openapi');
  if (!isObject(document)) throw new OpenApiDocumentError(label, 'the document is not a JSON object');
  const version = typeof document.openapi === 'string' ? document.openapi : undefined;
  if (version === undefined || !/^3\.[01]\./.test(version)) {
    throw new OpenApiDocumentError(label, typeof document.swagger === 'string' ? `Swagger ${document.swagger} is not supported` : `unsupported "openapi" version ${JSON.stringify(document.openapi)}`);
  }
  if (!isObject(document.paths)) throw new OpenApiDocumentError(label, 'it has no "paths" object', { pointer: '#/paths' });
  const name = options.name ?? slug(label);
  const prefix = options.prefix ?? `${name}.`;
  const baseUrl = options.baseUrl ?? serverUrl(document);
  const effects = { ...DEFAULT_METHOD_EFFECTS, ...options.effects };
  const target = version.startsWith('3.0') ? 'openapi-3.0' : 'draft-2020-12';
  const actions: AnyAction[] = [];
  const skipped: SkippedOperation[] = [];
  const used = new Set<string>();
  const overridesUsed = new Set<string>();

  for (const [path, rawItem] of Object.entries(document.paths)) {
    const item = deref(document, rawItem);
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const operationId = typeof operation.operationId === 'string' ? operation.operationId : undefined;
      const routeKey = `${method.toUpperCase()} ${path}`;
      const overrideKey = operationId !== undefined && options.operations?.[operationId] !== undefined ? operationId : routeKey;
      const override = options.operations?.[overrideKey];
      if (override !== undefined) overridesUsed.add(overrideKey);
      if (override?.skip === true) {
        skipped.push({ method, path, reason: 'skipped by override' });
        continue;
      }
      try {
        const action = operationAction({ document, name, prefix, baseUrl, method, path, item, operation, operationId, override, options, effect: override?.effect ?? effects[method], used, target });
        used.add(action.name);
        actions.push(action);
      } catch (error) {
        skipped.push({ method, path, reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  const unknown = Object.keys(options.operations ?? {}).filter((key) => !overridesUsed.has(key));
  if (unknown.length > 0) {
    throw new UsageError(`OpenAPI overrides name operations that "${name}" does not have: ${unknown.join(', ')}`, 'Key overrides by operationId or by "METHOD /path" exactly as in the document.', { unknown });
  }
  return { name, actions, skipped };
}

interface OperationContext {
  document: JsonObject;
  name: string;
  prefix: string;
  baseUrl: string | undefined;
  method: HttpMethod;
  path: string;
  item: JsonObject;
  operation: JsonObject;
  operationId: string | undefined;
  override: OperationOverride | undefined;
  options: OpenApiImportOptions;
  effect: Effect;
  used: ReadonlySet<string>;
  target: 'openapi-3.0' | 'draft-2020-12';
}

function operationAction(context: OperationContext): AnyAction {
  const { document, method, path, operation, override, options } = context;
  const parameters = collectParameters(document, context.item, operation);
  const properties: JsonObject = {};
  const required: string[] = [];
  const rawProperties: JsonObject = {};
  for (const parameter of parameters.specs) {
    const raw = parameters.raw.get(parameter.key)!;
    rawProperties[parameter.key] = withDescription(raw.schema ?? contentSchema(raw.content) ?? {}, raw.description);
    properties[parameter.key] = inlineSchema(document, rawProperties[parameter.key], INLINE_LIMITS);
    if (parameter.required) required.push(parameter.key);
  }
  const requestBody = deref(document, operation.requestBody);
  let bodyType: string | undefined;
  if (isObject(requestBody) && isObject(requestBody.content)) {
    bodyType = pickContentType(Object.keys(requestBody.content));
    const media = bodyType === undefined ? undefined : deref(document, requestBody.content[bodyType]);
    const schema = isObject(media) ? media.schema : undefined;
    rawProperties.body = withDescription(schema ?? {}, typeof requestBody.description === 'string' ? requestBody.description : undefined);
    properties.body = inlineSchema(document, rawProperties.body, INLINE_LIMITS);
    if (requestBody.required === true) required.push('body');
  }
  const inputJsonSchema: JsonObject = { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
  const defsKey = context.target === 'openapi-3.0' ? 'definitions' : '$defs';
  const fullSchema = (): JsonObject => selfContainedSchema(document, { type: 'object', properties: rawProperties, ...(required.length > 0 ? { required } : {}) }, defsKey);

  const actionName = uniqueName(override?.name ?? `${context.prefix}${sanitize(context.operationId ?? `${method}${path}`)}`, context.used);
  const summary = typeof operation.summary === 'string' ? operation.summary.trim() : '';
  const details = typeof operation.description === 'string' ? operation.description.trim() : '';
  const description =
    override?.description ?? `${method.toUpperCase()} ${path}${summary ? `: ${summary}` : ''}${details && details !== summary ? `\n${truncate(details, MAX_DESCRIPTION)}` : ''}`;
  const tags = Array.isArray(operation.tags) ? operation.tags.filter((tag): tag is string => typeof tag === 'string') : [];
  const timeoutMs = override?.timeoutMs ?? options.timeoutMs;
  const call = httpCall({ ...context, actionName, parameters: parameters.specs, bodyType });

  return defineAction<Record<string, unknown>, OpenApiCallResult>({
    name: actionName,
    description,
    input: lazyValidator(fullSchema, required, context.target),
    inputJsonSchema,
    effect: context.effect,
    ...(override?.cost === undefined ? {} : { cost: override.cost }),
    ...(override?.idempotent === undefined ? (method === 'put' ? { idempotent: true } : {}) : { idempotent: override.idempotent }),
    tags: override?.tags ?? tags,
    group: tags[0] === undefined ? context.name : `${context.name}:${tags[0]}`,
    source: { kind: 'openapi', name: context.name },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    run: call,
  }) as unknown as AnyAction;
}

function collectParameters(document: JsonObject, item: JsonObject, operation: JsonObject): { specs: ParameterSpec[]; raw: Map<string, JsonObject> } {
  // Operation-level parameters override path-level ones with the same name and location.
  const byKey = new Map<string, JsonObject>();
  for (const list of [item.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const parameter = deref(document, entry);
      if (!isObject(parameter) || typeof parameter.name !== 'string' || typeof parameter.in !== 'string') continue;
      byKey.set(`${parameter.in}:${parameter.name}`, parameter);
    }
  }
  const names = new Map<string, number>();
  for (const parameter of byKey.values()) names.set(parameter.name as string, (names.get(parameter.name as string) ?? 0) + 1);
  const specs: ParameterSpec[] = [];
  const raw = new Map<string, JsonObject>();
  for (const parameter of byKey.values()) {
    const location = parameter.in as ParameterSpec['location'];
    if (!['path', 'query', 'header', 'cookie'].includes(location)) continue;
    const name = parameter.name as string;
    // Two parameters with one name (a header and a query, say) are told apart by their location.
    let key = (names.get(name) ?? 0) > 1 ? `${location}.${name}` : name;
    if (key === 'body') key = `${location}.body`;
    specs.push({ name, key, location, required: location === 'path' || parameter.required === true });
    raw.set(key, parameter);
  }
  return { specs, raw };
}

function httpCall(context: OperationContext & { actionName: string; parameters: ParameterSpec[]; bodyType: string | undefined }) {
  const { method, path, options, parameters, bodyType, actionName } = context;
  return async (input: Record<string, unknown>, ctx: { signal: AbortSignal }): Promise<OpenApiCallResult> => {
    const base = context.baseUrl;
    if (base === undefined) {
      throw new UsageError(`Action "${actionName}" has no base URL to call`, `The document "${context.name}" names no absolute server: pass baseUrl to importOpenApi.`);
    }
    let resolvedPath = path;
    const query = new URLSearchParams();
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const cookies: string[] = [];
    for (const parameter of parameters) {
      const value = input[parameter.key];
      if (value === undefined || value === null) continue;
      if (parameter.location === 'path') resolvedPath = resolvedPath.replaceAll(`{${parameter.name}}`, encodeURIComponent(scalar(value)));
      else if (parameter.location === 'query') for (const item of Array.isArray(value) ? value : [value]) query.append(parameter.name, scalar(item));
      else if (parameter.location === 'header') headers[parameter.name.toLowerCase()] = scalar(value);
      else cookies.push(`${parameter.name}=${encodeURIComponent(scalar(value))}`);
    }
    if (cookies.length > 0) headers.cookie = cookies.join('; ');
    const auth = options.auth;
    if (auth !== undefined) {
      const secret = (options.env ?? process.env)[auth.env];
      if (secret === undefined || secret === '') {
        throw new ArborError('ARBOR_OPENAPI_AUTH_MISSING', `Action "${actionName}" needs credentials from ${auth.env}, which is not set`, {
          hint: `Set it first (export ${auth.env}=...), or change the auth of the "${context.name}" import.`,
          data: { action: actionName, variable: auth.env },
        });
      }
      if (auth.type === 'bearer') headers[(auth.header ?? 'authorization').toLowerCase()] = `Bearer ${secret}`;
      else if (auth.type === 'header') headers[auth.header.toLowerCase()] = `${auth.prefix ?? ''}${secret}`;
      else query.append(auth.parameter, secret);
    }
    let body: string | undefined;
    if (input.body !== undefined && bodyType !== undefined) {
      headers['content-type'] = bodyType;
      body = bodyType === 'application/x-www-form-urlencoded' && isObject(input.body)
        ? new URLSearchParams(Object.entries(input.body).map(([key, value]): [string, string] => [key, scalar(value)])).toString()
        : typeof input.body === 'string' && !bodyType.includes('json') ? input.body : JSON.stringify(input.body);
    }
    const queryString = query.toString();
    const url = `${base.replace(/\/+$/, '')}${resolvedPath}${queryString === '' ? '' : `?${queryString}`}`;
    const response = await (options.fetch ?? fetch)(url, { method: method.toUpperCase(), headers, ...(body === undefined ? {} : { body }), signal: ctx.signal });
    const text = await response.text();
    if (!response.ok) throw new HttpStatusError(actionName, method.toUpperCase(), url, response.status, text);
    return { status: response.status, body: parseBody(text, response.headers.get('content-type')) };
  };
}

function parseBody(text: string, contentType: string | null): JsonValue {
  if (text === '') return null;
  if (contentType !== null && /json/i.test(contentType)) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return text;
    }
  }
  return text;
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function pickContentType(types: string[]): string | undefined {
  return types.find((type) => type === 'application/json') ?? types.find((type) => /json/i.test(type)) ?? types[0];
}

function contentSchema(content: unknown): unknown {
  if (!isObject(content)) return undefined;
  const type = pickContentType(Object.keys(content));
  const media = type === undefined ? undefined : content[type];
  return isObject(media) ? media.schema : undefined;
}

function withDescription(schema: unknown, description: unknown): JsonObject {
  const base = isObject(schema) ? schema : {};
  if (typeof description !== 'string' || description === '') return base;
  // A $ref next to a description is wrapped so the reference stays intact.
  return typeof base.$ref === 'string' ? { allOf: [base], description } : { ...base, description: base.description ?? description };
}

function serverUrl(document: JsonObject): string | undefined {
  const server = Array.isArray(document.servers) ? document.servers[0] : undefined;
  if (!isObject(server) || typeof server.url !== 'string') return undefined;
  let url = server.url;
  if (isObject(server.variables)) {
    for (const [name, variable] of Object.entries(server.variables)) {
      if (isObject(variable) && variable.default !== undefined) url = url.replaceAll(`{${name}}`, String(variable.default));
    }
  }
  return /^https?:\/\//i.test(url) ? url : undefined;
}

function sanitize(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_\-./:{}]+/g, '_').replace(/^[^A-Za-z0-9_]+/, '');
  return cleaned === '' ? 'operation' : cleaned.slice(0, 180);
}

function uniqueName(name: string, used: ReadonlySet<string>): string {
  if (!used.has(name)) return name;
  for (let suffix = 2; ; suffix++) if (!used.has(`${name}_${suffix}`)) return `${name}_${suffix}`;
}

function slug(text: string): string {
  const value = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return value === '' ? 'openapi' : value.slice(0, 60);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
