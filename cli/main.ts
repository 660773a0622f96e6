import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { PROJECT_ROOT } from '../config/config';
import { RUN_STATES } from '../ir/states';
import { ApiError } from './api-client';
import { apiCommand } from './commands/api';
import { cacheClearCommand, cacheListCommand } from './commands/cache';
import { compileCommand } from './commands/compile';
import { devCommand } from './commands/dev';
import { experimentsActionCommand, experimentsCreateCommand, experimentsGetCommand, experimentsListCommand } from './commands/experiments';
import { logsCommand } from './commands/logs';
import { runCommand } from './commands/run';
import { runsGetCommand } from './commands/runs-get';
import { runsListCommand } from './commands/runs-list';
import { runsRetryCommand } from './commands/runs-retry';
import { runsTerminateCommand } from './commands/runs-terminate';
import { scheduleActionCommand, scheduleBackfillCommand, scheduleCreateCommand, scheduleGetCommand, scheduleListCommand } from './commands/schedule';
import { tokensCreateCommand, tokensListCommand, tokensRevokeCommand } from './commands/tokens';
import { workerCommand } from './commands/worker';
import { println, type CliContext, type GlobalOptions } from './context';
import { EXIT_CODES_HELP, ExitCode, exitCodeFor } from './exit-codes';
import { collectArtifact, collectParam, parsePort, parsePositiveInt } from './params';
import { describeError } from '../config/describe-error';

/**
 * The `sluice` command line: commander wiring only. Each command lives in `commands/`, takes a
 * `CliContext` and its parsed options, and returns an exit code or throws; `exitCodeFor` maps
 * what it throws.
 */
export function buildProgram(ctx: CliContext, setExitCode: (code: number) => void): Command {
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();
  const program = new Command('sluice')
    .description('Run Kubeflow Pipelines v2 pipelines durably, as Temporal workflows.')
    .version(packageVersion())
    .option('--api <url>', 'Sluice API server (default: $SLUICE_API, else http://127.0.0.1:8888)')
    .option('--token <token>', 'API token (default: $SLUICE_TOKEN, else, for a local API, the one `sluice dev` wrote in the data dir)')
    .option('--temporal-ui <url>', 'Temporal UI base for links (default: $SLUICE_TEMPORAL_UI, else http://127.0.0.1:8233)')
    // Set before adding commands: subcommands copy these settings when they are created.
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('run')
    .description('submit a pipeline run: a compiled spec (.yaml, .yml, .json) or an SDK module (.ts, .js) whose default export is a pipeline')
    .argument('<file>', 'pipeline file')
    .option('-p, --param <key=value>', 'a pipeline parameter, repeatable; the server converts the string to the declared type', collectParam, {})
    .option('-a, --artifact <name=artifact-id>', 'a pipeline input artifact, repeatable: the id of an artifact Sluice knows (sluice runs get --json shows them)', collectArtifact, {})
    .option('--name <name>', 'run display name (default: pipeline name and time)')
    .option('--experiment <id-or-name>', 'experiment to run in, by id or name; a name that names none is created (default: the Default experiment)')
    .option('--wait', 'show live task status until the run ends; exit 0 only if it SUCCEEDED')
    .option('--no-cache', 'execute every task, none served from cache (sets each task\'s cachingOptions.enableCache to false)')
    .action(async (file: string, opts, cmd: Command) => setExitCode(await runCommand(ctx, globals(cmd), file, opts)));

  const experiments = program.command('experiments').description('create, list, inspect, archive and delete experiments (by id or name)');
  experiments
    .command('create')
    .description('create an experiment')
    .argument('<name>', 'experiment name (unique)')
    .option('--description <text>', 'what the experiment is for')
    .option('--json', 'print the experiment as JSON')
    .action((name: string, opts, cmd: Command) => experimentsCreateCommand(ctx, globals(cmd), name, opts));
  experiments
    .command('list')
    .description('list experiments, newest first')
    .option('--limit <n>', 'most experiments to show', parsePositiveInt, 20)
    .option('--json', 'print the experiments as JSON')
    .action((opts, cmd: Command) => experimentsListCommand(ctx, globals(cmd), opts));
  experiments
    .command('get')
    .description('show an experiment')
    .argument('<experiment>', 'experiment id or name')
    .option('--json', 'print the experiment as JSON')
    .action((ref: string, opts, cmd: Command) => experimentsGetCommand(ctx, globals(cmd), ref, opts));
  const experimentActions = [
    ['archive', 'archive an experiment and its runs; no run may join it until it is unarchived'],
    ['unarchive', 'unarchive an experiment (its runs stay archived, as in KFP)'],
    ['delete', 'delete an experiment; its runs stay'],
  ] as const;
  for (const [action, description] of experimentActions) {
    experiments
      .command(action)
      .description(description)
      .argument('<experiment>', 'experiment id or name')
      .action((ref: string, _opts, cmd: Command) => experimentsActionCommand(ctx, globals(cmd), ref, action));
  }

  const runs = program.command('runs').description('list, inspect, terminate and retry runs');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--experiment <id-or-name>', 'only runs of this experiment')
    .addOption(new Option('--state <state>', 'only runs in this state').choices(RUN_STATES))
    .option('--limit <n>', 'most runs to show', parsePositiveInt, 20)
    .option('--json', 'print the runs as JSON')
    .action((opts, cmd: Command) => runsListCommand(ctx, globals(cmd), opts));
  runs
    .command('get')
    .description('show a run: summary, tasks, output parameters')
    .argument('<run>', 'run id')
    .option('--json', 'print the run as JSON')
    .action((runId: string, opts, cmd: Command) => runsGetCommand(ctx, globals(cmd), runId, opts));
  runs
    .command('terminate')
    .description('cancel a run; its running tasks are stopped')
    .argument('<run>', 'run id')
    .action((runId: string, _opts, cmd: Command) => runsTerminateCommand(ctx, globals(cmd), runId));
  runs
    .command('retry')
    .description('retry a FAILED or CANCELED run in place: tasks that did not succeed run again, succeeded ones keep their outputs')
    .argument('<run>', 'run id')
    .action((runId: string, _opts, cmd: Command) => runsRetryCommand(ctx, globals(cmd), runId));

  const tokens = program
    .command('tokens')
    .description('manage API tokens: through the API with an admin token, or, with DATABASE_URL set, in the database directly (the first token of a cluster)');
  tokens
    .command('create')
    .description('create a token and print it (only this once)')
    .requiredOption('--name <name>', 'what the token is for, e.g. ci')
    .addOption(new Option('--scope <scope>', 'read; write (implies read); admin (implies write, and manages tokens)').choices(['read', 'write', 'admin']).default('read'))
    .option('--namespace <ns>', 'a namespace the token reaches, repeatable (default: every namespace)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--expires-in <lifetime>', 'lifetime such as 90d, 12h (default: no expiry)')
    .action((opts, cmd: Command) => tokensCreateCommand(ctx, globals(cmd), opts));
  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'print the tokens as JSON')
    .action((opts, cmd: Command) => tokensListCommand(ctx, globals(cmd), opts));
  tokens
    .command('revoke')
    .description('revoke a token; requests with it fail from now on')
    .argument('<id>', 'token id (the part after sluice_, as tokens list shows it)')
    .action((id: string, _opts, cmd: Command) => tokensRevokeCommand(ctx, globals(cmd), id));

  const schedule = program.command('schedule').description('recurring runs: pipelines started on a cron or an interval by a Temporal Schedule');
  schedule
    .command('create')
    .description('create a recurring run of a pipeline file (.yaml, .yml, .json)')
    .argument('<file>', 'pipeline file')
    .option('--cron <expr>', 'cron: 6 fields with seconds as in KFP ("0 0 9 * * MON-FRI"), or the usual 5')
    .option('--every <seconds>', 'start a run every N seconds', parsePositiveInt)
    .option('--start <time>', 'no runs before this time (RFC3339)')
    .option('--end <time>', 'no runs after this time (RFC3339)')
    .option('--time-zone <tz>', 'IANA time zone of --cron (default: UTC)')
    .option('-p, --param <key=value>', 'a pipeline parameter, repeatable', collectParam, {})
    .option('--name <name>', 'display name (default: the pipeline name)')
    .option('--experiment <id-or-name>', 'experiment of its runs (default: the Default experiment)')
    .option('--no-catchup', 'after a pause in service, start only the latest missed run')
    .option('--paused', 'create it paused (KFP mode DISABLE)')
    .option('--json', 'print the recurring run as JSON')
    .action((file: string, opts, cmd: Command) => scheduleCreateCommand(ctx, globals(cmd), file, { ...opts, noCatchup: opts.catchup === false }));
  schedule
    .command('list')
    .description('list recurring runs, newest first')
    .option('--experiment <id-or-name>', 'only recurring runs of this experiment')
    .option('--limit <n>', 'most recurring runs to show', parsePositiveInt, 20)
    .option('--json', 'print them as JSON')
    .action((opts, cmd: Command) => scheduleListCommand(ctx, globals(cmd), opts));
  schedule
    .command('get')
    .description('show a recurring run and its latest runs')
    .argument('<id>', 'recurring run id')
    .option('--json', 'print it as JSON, with its latest runs')
    .action((id: string, opts, cmd: Command) => scheduleGetCommand(ctx, globals(cmd), id, opts));
  const actions = [
    ['pause', 'disable', 'stop starting runs (runs already started go on)'],
    ['resume', 'enable', 'start runs again on the trigger'],
    ['trigger', 'trigger', 'start a run now (after the active one, if a run is active)'],
    ['delete', 'delete', 'delete the recurring run and its schedule; its runs stay'],
  ] as const;
  for (const [name, action, description] of actions) {
    schedule
      .command(name)
      .description(description)
      .argument('<id>', 'recurring run id')
      .action((id: string, _opts, cmd: Command) => scheduleActionCommand(ctx, globals(cmd), id, action));
  }
  schedule
    .command('backfill')
    .description('start the runs the trigger would have started between --start and --end, one at a time')
    .argument('<id>', 'recurring run id')
    .requiredOption('--start <time>', 'start of the range (RFC3339)')
    .requiredOption('--end <time>', 'end of the range (RFC3339)')
    .action((id: string, opts, cmd: Command) => scheduleBackfillCommand(ctx, globals(cmd), id, opts));
  const cache = program.command('cache').description('list and clear the task cache (entries only; artifacts stay) in the namespaces the token reaches');
  cache
    .command('list')
    .description('list cache entries, newest first')
    .option('--pipeline <name>', 'only entries of this pipeline')
    .option('--namespace <ns>', 'only entries of this namespace (default: every namespace the token reaches)')
    .option('--limit <n>', 'most entries to show', parsePositiveInt, 20)
    .option('--json', 'print the entries as JSON')
    .action((opts, cmd: Command) => cacheListCommand(ctx, globals(cmd), opts));
  cache
    .command('clear')
    .description('delete cache entries: all, or those of a pipeline or a fingerprint; tasks that start afterwards run again')
    .option('--pipeline <name>', 'only entries of this pipeline')
    .option('--fingerprint <sha256>', 'only the entry with this fingerprint')
    .option('--namespace <ns>', 'only entries of this namespace (default: every namespace the token reaches)')
    .action((opts, cmd: Command) => cacheClearCommand(ctx, globals(cmd), opts));

  program
    .command('logs')
    .description("print a task's log, or every task's log in start order")
    .argument('<run>', 'run id')
    .argument('[task]', 'task name (default: all tasks)')
    .option('-f, --follow', 'stream logs while the tasks run')
    .action((runId: string, task: string | undefined, opts, cmd: Command) => logsCommand(ctx, globals(cmd), runId, task, opts));

  program
    .command('compile')
    .description('compile an SDK pipeline module to PipelineSpec YAML')
    .argument('<file>', 'TypeScript or JavaScript module whose default export is a pipeline')
    .option('-o, --output <file>', 'write the YAML here instead of stdout')
    .action((file: string, opts) => compileCommand(ctx, file, opts));

  program
    .command('dev')
    .description('start the embedded stack (Temporal dev server, PostgreSQL, worker, API, dashboard) until Ctrl-C')
    .option('--data-dir <dir>', 'where Temporal, PostgreSQL and artifacts keep their data (default: .sluice)')
    .option('--api-port <port>', 'API and dashboard port (default: 8888)', parsePort)
    .option('--temporal-port <port>', 'Temporal frontend port (default: 7233)', parsePort)
    .option('--temporal-ui-port <port>', 'Temporal UI port (default: 8233)', parsePort)
    .option('--postgres-port <port>', 'PostgreSQL port (default: 5488)', parsePort)
    .option('--demo', 'run the demo pipeline once the stack is up and show its live status')
    .action(async (opts) => setExitCode(await devCommand(ctx, opts)));

  program
    .command('api')
    .description('run the API server for an existing stack; needs DATABASE_URL and TEMPORAL_ADDRESS, listens on SLUICE_API_HOST:SLUICE_API_PORT')
    .action(async () => setExitCode(await apiCommand(ctx)));

  program
    .command('worker')
    .description('run a worker for an existing stack; needs DATABASE_URL and TEMPORAL_ADDRESS (or SLUICE_TEMPORAL_PORT) in the environment')
    .action(async () => setExitCode(await workerCommand(ctx)));

  return program;
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code; never throws. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  let code: number = ExitCode.Success;
  const program = buildProgram(ctx, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    // Commander has already printed its own usage errors.
    if (!(err instanceof CommanderError)) println(ctx.stderr, `error: ${describeCliError(err)}`);
    return exitCodeFor(err);
  }
}

function describeCliError(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (HTTP ${err.status})`;
  return err instanceof Error && err.message ? err.message : describeError(err);
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The process entry point (`bin/sluice.js`): exits with `runCli`'s code once output is flushed. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<never> {
  // `sluice runs list | head` closes the pipe early: that ends the output, it is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(ExitCode.Success);
  });
  const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, process });
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
  process.exit(code);
}
