import { resolve } from 'node:path';
import { ConfigSchema } from '../config/config';
import { readLocalToken } from '../config/local-token';
import { ApiClient, DEFAULT_API_URL } from './api-client';
import { UsageError } from './exit-codes';

/** An output stream as the CLI uses it; `process.stdout` fits, and so does a test's collector. */
export interface Terminal {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/**
 * Everything a command touches outside its arguments. `main()` passes the real process; tests
 * pass collectors, so no command reads `process` directly.
 */
export interface CliContext {
  stdout: Terminal;
  stderr: Terminal;
  env: NodeJS.ProcessEnv;
  /** Signal handling and hard exit, for `dev` (the only long-lived command). */
  process: Pick<NodeJS.Process, 'on' | 'off' | 'exit'>;
}

/** The options every command accepts (declared on the root command). */
export interface GlobalOptions {
  api?: string;
  token?: string;
  temporalUi?: string;
}

export function println(out: Terminal, line = ''): void {
  out.write(`${line}\n`);
}

/** Colour only for a terminal, and never when NO_COLOR is set (no-color.org). */
export function useColor(ctx: CliContext): boolean {
  return Boolean(ctx.stdout.isTTY) && !ctx.env.NO_COLOR;
}

/** The API base URL: `--api`, else `SLUICE_API`, else the local default. Throws `UsageError` if it is not an http(s) URL. */
export function resolveApiUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const value = flag ?? env.SLUICE_API ?? DEFAULT_API_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--api / SLUICE_API must be a URL like ${DEFAULT_API_URL}, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--api / SLUICE_API must be an http(s) URL, got "${value}"`);
  }
  return value;
}

export function apiClientFor(ctx: CliContext, globals: GlobalOptions): ApiClient {
  const url = resolveApiUrl(globals.api, ctx.env);
  return new ApiClient(url, resolveToken(globals.token, ctx.env, url));
}

/**
 * The API token: `--token`, else `SLUICE_TOKEN`, else, for an API on this machine, the one
 * `sluice dev` wrote in the data dir (`SLUICE_DATA_DIR`, default `.sluice`). The local token is
 * never sent to another host: it would hand that host the local user's access.
 */
export function resolveToken(flag: string | undefined, env: NodeJS.ProcessEnv, apiUrl: string): string | undefined {
  const given = flag ?? env.SLUICE_TOKEN;
  if (given) return given;
  const host = new URL(apiUrl).hostname;
  if (host !== 'localhost' && host !== '127.0.0.1' && host !== '[::1]') return undefined;
  return readLocalToken(resolve(ConfigSchema.shape.dataDir.parse(env.SLUICE_DATA_DIR || undefined)));
}
