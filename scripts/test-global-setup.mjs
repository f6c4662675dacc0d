// Vitest global set-up: what the browser tests need, installed by the project itself on a fresh machine.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export default function setup() {
  // Debian's Chromium, driven by playwright-core in src/inspector/*.e2e.test.ts.
  execFileSync('bash', [fileURLToPath(new URL('./ensure-chromium.sh', import.meta.url))], { stdio: 'inherit' });
  // The inspector serves its built web UI; `npm test` builds it first, a bare `vitest` may not have.
  if (!existsSync(`${root}dist/inspector/web/index.html`)) {
    execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: root, stdio: 'inherit' });
  }
}
