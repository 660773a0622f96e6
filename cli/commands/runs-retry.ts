import { apiClientFor, println, type CliContext, type GlobalOptions } from '../context';

/** `sluice runs retry RUN`: retries a FAILED or CANCELED run in place; what succeeded is reused. */
export async function runsRetryCommand(ctx: CliContext, globals: GlobalOptions, runId: string): Promise<void> {
  await apiClientFor(ctx, globals).retryRun(runId);
  println(ctx.stdout, `Run ${runId} is running again: its tasks that did not succeed run again; \`sluice runs get ${runId}\` follows it.`);
}
