import { CommanderError } from 'commander';
import { ArborError } from '../errors/index.js';
import type { CliIo } from './context.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { createProgram } from './program.js';

/** Runs the CLI and returns its exit code. Errors become one line: `code: message (hint)`. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const { program, cli } = createProgram(io);
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or the help/version text).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const debug = cli.options.debug || argv.includes('--debug');
    const arbor = ArborError.isInstance(error) ? error : undefined;
    const message = arbor
      ? `${arbor.code}: ${arbor.message}${arbor.hint ? ` (${arbor.hint})` : ''}`
      : `error: ${error instanceof Error ? error.message : String(error)}${debug ? '' : ' (run with --debug for details)'}`;
    if (cli.options.json) io.stdout.write(`${JSON.stringify({ error: arbor ? arbor.toJSON() : { code: 'ARBOR_INTERNAL', message: String(error) } })}\n`);
    io.stderr.write(`${message}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return exitCodeFor(error);
  } finally {
    await cli.close();
  }
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
