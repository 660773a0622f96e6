import type { Client } from '@temporalio/client';
import { describeError } from '../config/describe-error';
import type { MetadataStore } from '../store/types';

/** One dependency the API needs to serve: it is up when `check` resolves. */
export interface DependencyCheck {
  name: string;
  check(): Promise<void>;
}

export interface DependencyStatus {
  status: 'up' | 'down';
  /** Why it is down. */
  error?: string;
}

/** How long one check may take before its dependency counts as down: a hung server is down too. */
const CHECK_TIMEOUT_MS = 3_000;

/** Runs every check at once; each ends within `CHECK_TIMEOUT_MS`. */
export async function checkDependencies(checks: DependencyCheck[]): Promise<Record<string, DependencyStatus>> {
  const results = await Promise.all(
    checks.map(async ({ name, check }): Promise<[string, DependencyStatus]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, { status: 'up' }];
      } catch (err) {
        return [name, { status: 'down', error: describeError(err) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(results);
}

/** Temporal's frontend answers (through the client's own connection, which reconnects by itself). */
export function temporalCheck(client: Client): DependencyCheck {
  return {
    name: 'temporal',
    // A deadline, or the client's retries of an unreachable server would take ~20 s.
    check: async () => void (await client.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS - 500, () => client.workflowService.getSystemInfo({}))),
  };
}

/** PostgreSQL answers through the store's pool (which replaces connections a restart cut). */
export function postgresCheck(store: MetadataStore): DependencyCheck {
  return { name: 'postgresql', check: () => store.ping() };
}
