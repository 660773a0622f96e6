import { apiClientFor, println, type CliContext, type GlobalOptions } from '../context';

/** `sluice runs terminate RUN`: asks the server to cancel the run; its tasks' pods or processes are stopped. */
export async function runsTerminateCommand(ctx: CliContext, globals: GlobalOptions, runId: string): Promise<void> {
  await apiClientFor(ctx, globals).terminateRun(runId);
  println(ctx.stdout, `Run ${runId} is terminating; \`sluice runs get ${runId}\` shows when it is CANCELED.`);
}
