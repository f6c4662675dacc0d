import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { configEnvironmentFactory, DEFAULT_CONFIG_ENVIRONMENT, loadConfig, type LoadedConfig } from '../config/index.js';
import { approveAll, type ApprovalPolicy } from '../execution/index.js';
import { defaultEnvironments, type EnvironmentRegistry } from '../environments/index.js';
import { openStore, type Store } from '../provenance/index.js';
import { createFormatter, type Formatter } from './format.js';
import { withProgress, type ProgressReporter } from './progress.js';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  store?: string;
  config?: string;
  json: boolean;
  debug: boolean;
  yes: boolean;
  color: boolean;
}

/** What every command gets: global options, the store, output and approval helpers. */
export class CliContext {
  readonly io: CliIo;
  readonly environments: EnvironmentRegistry;
  readonly #program: Command;
  #store: Store | undefined;
  #config: LoadedConfig | undefined;
  #configLoaded = false;

  constructor(program: Command, io: CliIo, environments: EnvironmentRegistry = defaultEnvironments()) {
    this.#program = program;
    this.io = io;
    this.environments = environments;
  }

  get options(): GlobalOptions {
    const opts = this.#program.opts<Partial<GlobalOptions>>();
    return {
      ...(opts.store === undefined ? {} : { store: opts.store }),
      ...(opts.config === undefined ? {} : { config: opts.config }),
      json: opts.json === true,
      debug: opts.debug === true,
      yes: opts.yes === true,
      color: opts.color !== false && this.io.env.NO_COLOR === undefined && this.io.stdout.isTTY === true,
    };
  }

  get format(): Formatter {
    return createFormatter(this.options.color);
  }

  /** The provenance store named by --store, ARBOR_STORE or the embedded default; opened once. */
  async store(): Promise<Store> {
    this.#store ??= await openStore({ location: this.options.store ?? this.io.env.ARBOR_STORE });
    return this.#store;
  }

  /**
   * The arbor.config file of the working directory (or --config), loaded once; its environment is then
   * registered so runs recorded against it replay and fork by name. Undefined when there is none.
   */
  async config(): Promise<LoadedConfig | undefined> {
    if (this.#configLoaded) return this.#config;
    const file = this.options.config ?? this.io.env.ARBOR_CONFIG;
    this.#config = await loadConfig(file === undefined ? {} : { file });
    this.#configLoaded = true;
    if (this.#config !== undefined) {
      this.environments.register(
        configEnvironmentFactory(this.#config, {
          onWarning: (warning) => this.err(`warning: ${warning.code}: ${warning.message}`),
          ...(this.options.debug ? { onStderr: (server: string, line: string) => this.err(`[${server}] ${line}`) } : {}),
        }),
      );
    }
    return this.#config;
  }

  /** The config as loaded before the command ran (the CLI loads it in a preAction hook); undefined when there is none. */
  get loadedConfig(): LoadedConfig | undefined {
    return this.#config;
  }

  /** The environment commands use when none is named: the config's, else the built-in demo. */
  async defaultEnvironment(): Promise<string> {
    const config = await this.config();
    return config === undefined ? 'demo/orders' : (config.config.name ?? DEFAULT_CONFIG_ENVIRONMENT);
  }

  out(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  err(text = ''): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** Prints machine-readable output (for --json). */
  json(value: unknown): void {
    this.out(JSON.stringify(value, null, 2));
  }

  /** A progress line on stderr for long work; silent with --json. */
  progress<T>(title: string, work: (report: ProgressReporter) => Promise<T>): Promise<T> {
    return withProgress(title, { silent: this.options.json, interactive: this.io.stderr.isTTY === true && this.io.env.CI === undefined }, work);
  }

  /**
   * Approval for irreversible actions: --yes approves all; on a terminal, the user is asked each time;
   * otherwise (CI, pipes) they are blocked, and the message says how to approve.
   */
  approval(): ApprovalPolicy {
    if (this.options.yes) return approveAll;
    if (this.io.stdin.isTTY !== true || this.io.stderr.isTTY !== true) {
      return () => ({ approved: false, by: 'cli', reason: 'no terminal to ask for approval; pass --yes to pre-approve' });
    }
    return async (request) => {
      const prompt = createInterface({ input: this.io.stdin, output: this.io.stderr });
      try {
        const answer = await prompt.question(
          `${this.format.style('yellow', 'Approve irreversible action')} ${request.action} ${JSON.stringify(request.input)}? [y/N] `,
        );
        const approved = /^y(es)?$/i.test(answer.trim());
        return { approved, by: 'cli-prompt', ...(approved ? {} : { reason: 'declined at the prompt' }) };
      } finally {
        prompt.close();
      }
    };
  }

  async close(): Promise<void> {
    await this.#store?.close();
    this.#store = undefined;
  }
}
