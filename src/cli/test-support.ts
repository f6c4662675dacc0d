import { Readable, Writable } from 'node:stream';
import { runCli } from './main.js';

export interface InProcessCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI in this process against the store at `storePath` (spawning node for each case costs
 * seconds on a busy machine), without colour, as under CI, with an empty stdin.
 */
export async function runCliInProcess(storePath: string, args: string[]): Promise<InProcessCliResult> {
  const stdout = collect();
  const stderr = collect();
  const code = await runCli(['node', 'arbor', '--store', storePath, ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: Readable.from([]),
    env: { NO_COLOR: '1', CI: '1' },
  });
  // runCli sets the exit code a real process would end with; the test process must not inherit it.
  process.exitCode = undefined;
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function collect() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}
