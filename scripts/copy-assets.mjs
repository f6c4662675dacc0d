// tsc copies only TypeScript output: copy the FSM domain files next to their compiled loader in dist/.
import { cpSync, mkdirSync } from 'node:fs';

const from = 'src/environments/fsm/domains';
const to = 'dist/environments/fsm/domains';
mkdirSync(to, { recursive: true });
cpSync(from, to, { recursive: true });
