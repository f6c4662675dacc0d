import { Option, type Command } from 'commander';
import { z } from 'zod';
import { defineAction, EFFECTS, type AnyAction, type Effect } from '../../actions/index.js';
import { ArborError, UsageError } from '../../errors/index.js';
import type { JsonValue } from '../../internal/json.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';

interface CheckOptions {
  environment?: string;
  effect?: Effect;
  source?: string;
  stage?: string;
  state?: string;
}

export function registerPolicyCommand(program: Command, cli: CliContext): void {
  const policy = program.command('policy').description('Inspect the guards of arbor.config: policy rules, stages and argument masks');

  policy
    .command('check')
    .description('Explain how the configured guards would decide a call: which policy rule decides and why, the stage, the masks')
    .argument('<action>', 'action name')
    .argument('[args]', 'the call\'s arguments as a JSON object', '{}')
    .option('-e, --environment <name>', 'the environment that has the action, for its effect and source (default: the config\'s)')
    .addOption(new Option('--effect <effect>', 'the action\'s effect, to check an action without loading any environment').choices([...EFFECTS]))
    .option('--source <kind[:name]>', 'the action\'s source with --effect, e.g. mcp:fs or openapi:payments (default typescript)')
    .option('--stage <stage>', 'the stage to check in (default: the stage machine\'s initial stage)')
    .option('--state <json>', 'the observation masks read (default: the environment\'s current state)')
    .addHelpText(
      'after',
      `
Exit status: 0 when the call would be allowed (or needs approval), 3 when a guard would block it.

Examples:
  arbor policy check fs.write_file '{"path":"/etc/passwd","content":"x"}'
  arbor policy check payments.refund '{"amountCents":25000}' --effect irreversible --source openapi:payments
  arbor policy check close_ticket --stage review --json`,
    )
    .action(async (name: string, rawArgs: string, options: CheckOptions) => {
      const input = parseJson(rawArgs, 'args');
      const loaded = await cli.config();
      const { guardsFromConfig } = await import('../../guards/index.js');
      const guards = guardsFromConfig(loaded?.config ?? {});
      const { action, observation } = await resolveAction(cli, name, options);
      const state = options.state === undefined ? observation : parseJson(options.state, '--state');
      if (options.stage !== undefined && guards.stages !== undefined && !guards.stages.has(options.stage)) {
        throw new UsageError(`"${options.stage}" is not a stage of ${guards.stages.name}`, `Stages: ${Object.keys(guards.stages.stages).join(', ')}.`);
      }
      const check = guards.check(action, input, { observation: state, ...(options.stage === undefined ? {} : { stage: options.stage }) });
      const irreversible = action.effect === 'irreversible';
      const verdict = !check.allowed ? 'blocked' : check.needsApproval || irreversible ? 'needs approval' : 'allowed';
      if (!check.allowed) process.exitCode = ExitCode.blocked;

      if (cli.options.json) {
        return cli.json({
          action: action.name,
          effect: action.effect,
          source: action.source,
          input,
          verdict,
          config: loaded?.file ?? null,
          ...(check.stage === undefined ? {} : { stage: check.stage }),
          masks: check.mask?.ok === false ? { ok: false, error: check.mask.error.toJSON() } : { ok: true },
          policy: check.policy ?? null,
          ...(irreversible ? { approval: 'irreversible: the executor asks the approval policy (--yes or a prompt in the CLI)' } : {}),
        });
      }
      const { format } = cli;
      const color = verdict === 'blocked' ? 'red' : verdict === 'allowed' ? 'green' : 'yellow';
      cli.out(`${format.style(['bold', color], verdict.toUpperCase())}  ${action.name} ${JSON.stringify(input)}  (${action.effect}, ${action.source.kind}${action.source.name ? `:${action.source.name}` : ''})`);
      if (loaded === undefined) cli.out(format.style('dim', 'No arbor.config file: no stages, masks or policy rules are configured.'));
      if (check.policy !== undefined) {
        const decided = check.policy;
        cli.out('');
        cli.out(`${format.style('bold', 'Policy')} (${decided.mode}): ${decided.decision} by ${decided.rule === 'default' ? 'the default' : `rule ${decided.rule}`}`);
        cli.out(`  ${decided.reason}`);
        for (const evaluation of decided.evaluations) {
          const mark = evaluation.index === decided.index ? format.style('bold', '→') : evaluation.matched ? '✓' : '·';
          const conditions = evaluation.conditions.map((condition) => `${condition.matched ? '✓' : '✗'} ${condition.condition}`).join(', ') || 'no conditions';
          cli.out(`  ${mark} ${evaluation.rule.padEnd(12)} ${evaluation.decision.padEnd(5)}  ${conditions}`);
        }
      } else if (loaded !== undefined) {
        cli.out(`${format.style('bold', 'Policy')}: no rules configured (allow)`);
      }
      if (check.stage !== undefined) {
        cli.out('');
        cli.out(`${format.style('bold', 'Stage')} ${check.stage.name}: ${check.stage.allowed ? 'allowed' : 'not allowed'} (${check.stage.reason})`);
      }
      if (check.mask?.ok === false) {
        cli.out('');
        cli.out(`${format.style('bold', 'Masks')}: ${check.mask.error.message}${check.mask.error.hint ? ` (${check.mask.error.hint})` : ''}`);
      }
      if (irreversible) {
        cli.out('');
        cli.out(`${format.style('bold', 'Approval')}: irreversible, so the executor also asks the approval policy (--yes or a prompt).`);
      }
    });
}

async function resolveAction(cli: CliContext, name: string, options: CheckOptions): Promise<{ action: AnyAction; observation: unknown }> {
  if (options.effect !== undefined) {
    const [kind = 'typescript', ...rest] = (options.source ?? 'typescript').split(':');
    // A stand-in with the given facts: nothing runs it, the guards only read its name, effect and source.
    const action = defineAction({
      name,
      description: `${name} (described on the command line)`,
      input: z.unknown(),
      effect: options.effect,
      source: { kind, ...(rest.length > 0 ? { name: rest.join(':') } : {}) },
      run: () => null,
    }) as AnyAction;
    return { action, observation: undefined };
  }
  if (options.source !== undefined) throw new UsageError('--source needs --effect', 'Give both to describe an action without loading an environment.');
  const environment = await cli.environments.create(options.environment ?? (await cli.defaultEnvironment()));
  try {
    try {
      return { action: environment.actions.get(name), observation: environment.observe() };
    } catch (error) {
      if (!ArborError.isInstance(error) || error.code !== 'ARBOR_NO_SUCH_ACTION') throw error;
      throw new ArborError(error.code, `${error.message} in environment "${environment.name}"`, {
        hint: `${error.hint ?? ''} Or describe the action with --effect and --source.`.trim(),
        data: error.data,
      });
    }
  } finally {
    await environment.close?.();
  }
}

function parseJson(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, `Quote it for the shell, e.g. '{"path":"/tmp/a"}'.`);
  }
}
