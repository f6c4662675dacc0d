import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
let cwd: string;
const children: ChildProcess[] = [];

/** Starts `arbor inspect` and resolves with the first line it prints on stdout. */
function startInspect(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('\n') && !args.includes('--json')) resolve({ child, line: stdout.split('\n')[0] as string });
      if (args.includes('--json') && stdout.trim().endsWith('}')) resolve({ child, line: stdout.trim() });
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('exit', (code) => reject(new Error(`arbor inspect exited with ${code}: ${stderr}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`Build first (npm run build): ${bin} is missing`);
  cwd = mkdtempSync(join(tmpdir(), 'arbor-inspect-cli-'));
  const demo = spawnSync(process.execPath, [bin, 'demo', '--yes'], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  expect(demo.status).toBe(0);
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});

describe('arbor inspect', () => {
  it('serves the store on loopback, prints the URL and stops cleanly on SIGTERM', async () => {
    const { child, line } = await startInspect(['inspect', '--port', '0', '--json']);
    const { url } = JSON.parse(line) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const runs = (await (await fetch(`${url}api/runs`)).json()) as { runs: { task: string; status: string }[] };
    expect(runs.runs).toHaveLength(1);
    expect(runs.runs[0]?.status).toBe('succeeded');
    const page = await fetch(url);
    expect(await page.text()).toContain('<div id="app">');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('opens the default browser with --open', async () => {
    const record = join(cwd, 'opened.txt');
    const browser = join(cwd, 'fake-browser.sh');
    writeFileSync(browser, `#!/bin/sh\necho "$1" > '${record}'\n`);
    chmodSync(browser, 0o755);
    const { child, line } = await startInspect(['inspect', '--port', '0', '--open'], { BROWSER: browser, DISPLAY: '', WAYLAND_DISPLAY: '', XDG_CURRENT_DESKTOP: '' });
    expect(line).toMatch(/^Arbor inspector on http:\/\/127\.0\.0\.1:\d+\/$/);
    await expect.poll(() => (existsSync(record) ? readFileSync(record, 'utf8').trim() : ''), { timeout: 10_000 }).toBe(line.replace('Arbor inspector on ', ''));
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
  });

  it('refuses to listen beyond loopback and says why (exit 2)', () => {
    const result = spawnSync(process.execPath, [bin, 'inspect', '--host', '0.0.0.0'], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('ARBOR_USAGE: The inspector listens on loopback only, not on "0.0.0.0"');
    expect(result.stderr).toContain('ssh -L');
  });

  it('says when the port is taken (exit 1)', async () => {
    const { child, line } = await startInspect(['inspect', '--port', '0', '--json']);
    const port = new URL((JSON.parse(line) as { url: string }).url).port;
    const second = spawnSync(process.execPath, [bin, 'inspect', '--port', port], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`ARBOR_PORT_IN_USE: Port ${port} on 127.0.0.1 is already in use (Pick another with --port N, or --port 0 for any free port.)`);
    child.kill('SIGTERM');
    await exited(child);
  });
});
