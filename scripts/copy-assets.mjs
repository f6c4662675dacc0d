// tsc compiles only TypeScript; this copies the non-TS files the code reads at run time (prompt
// templates) from src/ to the same place under dist/, so they ship in the npm package.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ASSET = /\.md$/;
const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');
const dist = join(root, 'dist');

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET.test(name) && dir.split('/').includes('prompts')) cpSync(path, join(dist, relative(src, path)));
  }
}

walk(src);
