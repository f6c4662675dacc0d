import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { DEFAULT_INSPECTOR_PORT, startInspector } from '../../inspector/index.js';
import { shellQuote } from '../../inspector/views.js';
import type { CliContext } from '../context.js';

export function registerInspectCommand(program: Command, cli: CliContext): void {
  program
    .command('inspect')
    .description('Open the web inspector: runs, search trees, provenance, diffs and replays (local only)')
    .option('--port <n>', `port to listen on (0 picks a free one)`, String(DEFAULT_INSPECTOR_PORT))
    .option('--host <address>', 'loopback address to listen on: 127.0.0.1, ::1 or localhost', '127.0.0.1')
    .option('--open', 'open the inspector in the default browser')
    .action(async (options: { port: string; host: string; open?: boolean }) => {
      const port = Number(options.port);
      if (!/^\d+$/.test(options.port) || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, not "${options.port}"`);
      const store = await cli.store();
      const flag = cli.options.store ?? cli.io.env.ARBOR_STORE;
      const inspector = await startInspector({
        store,
        port,
        host: options.host,
        commandPrefix: flag === undefined ? 'arbor' : `arbor --store ${shellQuote(flag)}`,
      });
      if (cli.options.json) cli.json({ url: inspector.url, store: store.location });
      else {
        cli.out(`Arbor inspector on ${inspector.url}`);
        cli.err(cli.format.style('dim', `Store ${store.location}. Press Ctrl+C to stop.`));
      }
      if (options.open === true) {
        const { default: open } = await import('open');
        // A missing browser is not fatal: the URL is printed above.
        await open(inspector.url).catch((error: unknown) => cli.err(`Could not open a browser (${error instanceof Error ? error.message : String(error)}); open ${inspector.url} yourself.`));
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await inspector.close();
    });
}
