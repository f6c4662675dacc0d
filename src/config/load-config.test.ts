import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArborError } from '../errors/index.js';
import { addMcpServerToConfig } from './edit-config.js';
import { loadConfig } from './load-config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): void {
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

async function configError(): Promise<ArborError> {
  try {
    await loadConfig({ cwd: dir });
  } catch (error) {
    if (ArborError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('loadConfig did not fail');
}

describe('loadConfig', () => {
  it('returns undefined when there is no config file', async () => {
    expect(await loadConfig({ cwd: dir })).toBeUndefined();
  });

  it('reads arbor.config.json with stdio and HTTP MCP servers and OpenAPI documents', async () => {
    write('arbor.config.json', {
      name: 'workbench',
      mcpServers: {
        fs: { command: 'node', args: ['server.js', '.'], tools: { write_file: { effect: 'write' } } },
        remote: { url: 'https://tools.example.com/mcp', headers: { authorization: 'Bearer x' } },
      },
      openapi: { petstore: { document: './petstore.json', baseUrl: 'http://127.0.0.1:8080', operations: { deletePet: { effect: 'irreversible' } } } },
    });
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded?.file).toBe(join(dir, 'arbor.config.json'));
    expect(loaded?.dir).toBe(dir);
    expect(loaded?.config.name).toBe('workbench');
    expect(loaded?.config.mcpServers?.fs).toMatchObject({ command: 'node', tools: { write_file: { effect: 'write' } } });
    expect(loaded?.config.mcpServers?.remote).toMatchObject({ url: 'https://tools.example.com/mcp' });
    expect(loaded?.config.openapi?.petstore?.document).toBe('./petstore.json');
  });

  it('names the file and the field of a wrong value', async () => {
    write('arbor.config.json', { mcpServers: { fs: { command: 'node', args: 'server.js' } } });
    const error = await configError();
    expect(error.code).toBe('ARBOR_CONFIG_INVALID');
    expect(error.message).toContain(join(dir, 'arbor.config.json'));
    expect(error.message).toMatch(/mcpServers\.fs\.args: .*expected array/);
  });

  it('picks the HTTP form when an entry has a url, and says what is wrong with it', async () => {
    write('arbor.config.json', { mcpServers: { remote: { url: 'not a url' } } });
    expect((await configError()).message).toMatch(/mcpServers\.remote\.url: /);
  });

  it('rejects unknown keys by name, at the top level and inside a section', async () => {
    write('arbor.config.json', { mcpServer: {} });
    expect((await configError()).message).toMatch(/\(root\): unknown key "mcpServer"/);
    write('arbor.config.json', { mcpServers: { fs: { command: 'node', tools: { x: { effect: 'read', danger: true } } } } });
    expect((await configError()).message).toMatch(/mcpServers\.fs\.tools\.x: unknown key "danger"/);
  });

  it('rejects a server name that cannot prefix action names', async () => {
    write('arbor.config.json', { mcpServers: { 'my server': { command: 'node' } } });
    expect((await configError()).message).toMatch(/mcpServers\.my server.*letters, digits/);
  });

  it('takes the model section from src/models, and reports a bad model spec at "model"', async () => {
    write('arbor.config.json', { model: 'ollama:qwen2.5' });
    expect((await loadConfig({ cwd: dir }))?.config.model).toBe('ollama:qwen2.5');
    write('arbor.config.json', { model: 'nonsense-provider:x' });
    expect((await configError()).message).toMatch(/arbor\.config\.json: model: /);
  });

  it('reports invalid JSON with its line and column', async () => {
    write('arbor.config.json', '{\n  "mcpServers": {,\n}');
    const error = await configError();
    expect(error.message).toMatch(/arbor\.config\.json: \(root\): is not valid JSON at line 2, column \d+/);
  });

  it('loads arbor.config.ts through jiti, TypeScript syntax and a function export included', async () => {
    write(
      'arbor.config.ts',
      `interface Server { command: string; args: string[] }\nconst fs: Server = { command: 'node', args: ['fs.js'] };\nexport default async () => ({ name: 'typed', mcpServers: { fs } });\n`,
    );
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded?.config).toEqual({ name: 'typed', mcpServers: { fs: { command: 'node', args: ['fs.js'] } } });
  });

  it('refuses two config files side by side', async () => {
    write('arbor.config.json', {});
    write('arbor.config.ts', 'export default {}');
    expect((await configError()).message).toMatch(/more than one config file: arbor\.config\.ts, arbor\.config\.json/);
  });
});

describe('addMcpServerToConfig', () => {
  it('creates arbor.config.json, then adds to it while keeping the other keys', async () => {
    const first = addMcpServerToConfig({ cwd: dir, name: 'memory', server: { command: 'node', args: ['memory.js'] } });
    expect(first.created).toBe(true);
    write('arbor.config.json', { ...JSON.parse(readFileSync(join(dir, 'arbor.config.json'), 'utf8')), name: 'kept' });
    expect(addMcpServerToConfig({ cwd: dir, name: 'web', server: { url: 'http://127.0.0.1:3000/mcp' } }).created).toBe(false);
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded?.config).toEqual({ name: 'kept', mcpServers: { memory: { command: 'node', args: ['memory.js'] }, web: { url: 'http://127.0.0.1:3000/mcp' } } });
  });

  it('refuses a duplicate name unless asked to replace, and never writes an invalid file', async () => {
    addMcpServerToConfig({ cwd: dir, name: 'memory', server: { command: 'node' } });
    expect(() => addMcpServerToConfig({ cwd: dir, name: 'memory', server: { command: 'other' } })).toThrow(/already configured/);
    addMcpServerToConfig({ cwd: dir, name: 'memory', server: { command: 'other' }, replace: true });
    const before = readFileSync(join(dir, 'arbor.config.json'), 'utf8');
    expect(() => addMcpServerToConfig({ cwd: dir, name: 'bad name', server: { command: 'x' } })).toThrow(/mcpServers\.bad name/);
    expect(readFileSync(join(dir, 'arbor.config.json'), 'utf8')).toBe(before);
    expect(before).toContain('"other"');
  });

  it('does not rewrite a TypeScript config and hands back the entry to paste', () => {
    write('arbor.config.ts', 'export default {}');
    expect(() => addMcpServerToConfig({ cwd: dir, name: 'memory', server: { command: 'node' } })).toThrow(/arbor\.config\.ts is code/);
  });
});
