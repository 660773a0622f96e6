import { ConfigError } from '../config/config';
import { CommanderError } from 'commander';
import { ApiError, ServerUnreachableError } from './api-client';

/** The CLI's exit codes; `sluice --help` lists them (`EXIT_CODES_HELP`), so scripts can rely on them. */
export const ExitCode = {
  Success: 0,
  /** The run failed or was canceled, or an operation failed (including a 5xx from the API). */
  Failed: 1,
  /** Bad input: unknown flag, bad `-p`, unreadable or invalid file, a 4xx from the API. */
  BadInput: 2,
  /** The API server could not be reached. */
  Unreachable: 3,
  /** Ctrl-C stopped `run --wait` (the run goes on), or a second Ctrl-C forced an exit; 128 + SIGINT, as shells say. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
  0    success (for \`run --wait\`: the run SUCCEEDED)
  1    the run failed or was canceled, or an operation failed
  2    bad input: unknown flag, bad -p syntax, unreadable or invalid file, an API 4xx
  3    the API server could not be reached (start it with \`sluice dev\`)
  130  interrupted: Ctrl-C while \`run --wait\` watches (the run goes on), or a second Ctrl-C`;

/** Thrown when the user's input (arguments, files, config) is wrong; the message says what to fix. */
export class UsageError extends Error {}

/** Thrown when an operation could not complete for a reason other than bad input or an unreachable server. */
export class OperationError extends Error {}

/** The one place that decides which exit code an error means. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Success : ExitCode.BadInput;
  if (err instanceof UsageError || err instanceof ConfigError) return ExitCode.BadInput;
  if (err instanceof ServerUnreachableError) return ExitCode.Unreachable;
  if (err instanceof ApiError) return err.status >= 400 && err.status < 500 ? ExitCode.BadInput : ExitCode.Failed;
  return ExitCode.Failed;
}
