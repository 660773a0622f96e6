import { ConfigError, loadConfig } from '../../config/config';
import { localTokenPath } from '../../config/local-token';
import { orderTasks, tasksOf } from '../api-types';
import { ApiClient } from '../api-client';
import { println, useColor, type CliContext } from '../context';
import { ExitCode, UsageError } from '../exit-codes';
import { interruptOnSignal } from '../interrupt';
import { dashboardRunUrl, temporalRunUrl } from '../links';
import { loadDevStack, type DevStack } from '../optional-modules';
import { createRunView, type RunView } from '../watch-run';
import { watchAndReport } from './run';
import { outputParameterLines } from './runs-get';

export interface DevOptions {
  dataDir?: string;
  apiPort?: number;
  temporalPort?: number;
  temporalUiPort?: number;
  postgresPort?: number;
  demo?: boolean;
}

/**
 * `sluice dev`: starts the embedded stack (Temporal dev server, PostgreSQL, worker, API and
 * dashboard) and keeps it up until SIGINT/SIGTERM, then stops it and exits 0. A second signal
 * exits at once. With `--demo`, the stack runs the demo pipeline and this shows it live.
 * Throws `UsageError` for bad options (ports, say).
 */
export async function devCommand(ctx: CliContext, opts: DevOptions): Promise<ExitCode> {
  const config = parseConfig(opts);
  const { startDevStack } = loadDevStack();
  const interrupt = interruptOnSignal(ctx);
  // Stack log lines go through the live view while one is shown, so they do not tear it.
  let log = (line: string) => println(ctx.stderr, line);
  try {
    println(ctx.stderr, `Starting Sluice (data in ${config.dataDir})…`);
    const stack = await startDevStack(config, { demo: opts.demo, log: (line) => log(line) });
    try {
      printEndpoints(ctx, stack, config.dataDir);
      if (opts.demo && !interrupt.signal.aborted) {
        const view = createRunView(ctx.stdout, useColor(ctx));
        log = (line) => view.log(line);
        await showDemoRun(ctx, stack, view, interrupt.signal);
        log = (line) => println(ctx.stderr, line);
        if (!interrupt.signal.aborted) println(ctx.stdout, 'The stack stays up; press Ctrl-C to stop it.');
      }
      await new Promise<void>((resolve) => {
        if (interrupt.signal.aborted) resolve();
        interrupt.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      println(ctx.stderr, 'Stopping Sluice… (Ctrl-C again to force)');
    } finally {
      await stack.stop();
    }
  } finally {
    interrupt.dispose();
  }
  println(ctx.stderr, 'Stopped.');
  return ExitCode.Success;
}

function parseConfig(opts: DevOptions) {
  try {
    return loadConfig({
      dataDir: opts.dataDir,
      apiPort: opts.apiPort,
      temporalPort: opts.temporalPort,
      temporalUiPort: opts.temporalUiPort,
      postgresPort: opts.postgresPort,
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

function printEndpoints(ctx: CliContext, stack: DevStack, dataDir: string): void {
  println(ctx.stdout, 'Sluice is up.');
  println(ctx.stdout, `  API:         ${stack.apiUrl}  (export SLUICE_API=${stack.apiUrl})`);
  println(ctx.stdout, `  Dashboard:   ${stack.loginUrl}`);
  println(ctx.stdout, `               (signs you in; the token is also in ${localTokenPath(dataDir)}, which the CLI uses)`);
  if (stack.temporalUiUrl) println(ctx.stdout, `  Temporal UI: ${stack.temporalUiUrl}  (export SLUICE_TEMPORAL_UI=${stack.temporalUiUrl})`);
}

/** Watches the demo run the stack started until it ends (or a signal stops the watch). */
async function showDemoRun(ctx: CliContext, stack: DevStack, view: RunView, signal: AbortSignal): Promise<void> {
  if (!stack.demoRunId) return;
  println(ctx.stdout, `Demo run ${stack.demoRunId}: ${dashboardRunUrl(stack.dashboardUrl, stack.demoRunId)}`);
  if (stack.temporalUiUrl) println(ctx.stdout, `  Temporal UI: ${temporalRunUrl(stack.temporalUiUrl, stack.demoRunId)}`);
  const client = new ApiClient(stack.apiUrl, stack.token);
  await watchAndReport(ctx, client, stack.demoRunId, view, signal);
  if (signal.aborted) return;
  const run = await client.getRun(stack.demoRunId);
  const results = outputParameterLines(orderTasks(tasksOf(run)));
  if (results.length) println(ctx.stdout, ['Results:', ...results].join('\n'));
  println(ctx.stdout, `Metrics, confusion matrix and logs: ${dashboardRunUrl(stack.dashboardUrl, stack.demoRunId)}`);
}
