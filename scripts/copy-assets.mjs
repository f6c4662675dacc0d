// tsc compiles only TypeScript: this copies the non-TS files the code reads at run time into dist/, next
// to the compiled code that loads them, so they ship in the npm package.
import { cpSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// The FSM domain files, next to their compiled loader.
const domainsFrom = 'src/environments/fsm/domains';
const domainsTo = 'dist/environments/fsm/domains';
mkdirSync(domainsTo, { recursive: true });
cpSync(domainsFrom, domainsTo, { recursive: true });

// Prompt templates (src/**/prompts/*.md), at the same relative place.
function copyPrompts(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyPrompts(path);
    else if (name.endsWith('.md') && dir.split(/[\\/]/).includes('prompts')) {
      const target = join('dist', relative('src', path));
      mkdirSync(join(target, '..'), { recursive: true });
      cpSync(path, target);
    }
  }
}
copyPrompts('src');
