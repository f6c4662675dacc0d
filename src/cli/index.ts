export { runCli } from './main.js';
export { createProgram } from './program.js';
export { CliContext, type CliIo, type GlobalOptions } from './context.js';
export { ExitCode, exitCodeFor, type ExitCodeValue } from './exit-codes.js';
