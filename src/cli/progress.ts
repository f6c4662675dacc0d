import { Listr, ListrLogger, ProcessOutput } from 'listr2';

export interface ProgressOptions {
  /** No progress at all (for --json, or when stderr is not wanted). */
  silent: boolean;
  /** Live, redrawn display (stderr is a terminal); otherwise plain lines. */
  interactive: boolean;
}

export type ProgressReporter = (text: string) => void;

/**
 * Runs `work` as one titled task with a progress line on stderr (stdout stays clean for data).
 * Reports are throttled so a 10,000-step loop does not flood a log.
 */
export async function withProgress<T>(title: string, options: ProgressOptions, work: (report: ProgressReporter) => Promise<T>): Promise<T> {
  if (options.silent) return work(() => undefined);
  let result: T | undefined;
  const processOutput = new ProcessOutput(process.stderr, process.stderr);
  const logger = new ListrLogger({ processOutput });
  const tasks = new Listr(
    [
      {
        title,
        task: async (_, task) => {
          let last = 0;
          result = await work((text) => {
            const now = Date.now();
            if (now - last < (options.interactive ? 50 : 2000)) return;
            last = now;
            task.output = text;
          });
        },
        rendererOptions: { persistentOutput: false },
      },
    ],
    {
      renderer: options.interactive ? 'default' : 'simple',
      fallbackRenderer: 'simple',
      rendererOptions: { logger, processOutput } as never,
      fallbackRendererOptions: { logger, processOutput } as never,
      exitOnError: true,
      registerSignalListeners: false,
    },
  );
  await tasks.run();
  return result as T;
}
