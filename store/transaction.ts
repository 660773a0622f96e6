import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig } from 'pg';

/** Anything that runs a query: the pool (one statement, autocommit) or a client in a transaction. */
export type Queryable = Pick<Pool | PoolClient, 'query'>;

const preparedNames = new Map<string, string>();

/**
 * `text` as a named prepared statement: each pooled connection parses and plans it once, where
 * an unnamed one is parsed and planned on every call (~1 ms of a launch record, measured). For
 * the statements a launch runs every time; the name comes from the text, of which there are few.
 * A text whose best plan depends on its parameters' values (`$1 IS NULL OR …`) does not belong
 * here: after five runs PostgreSQL may keep one generic plan for every value.
 */
export function prepared(text: string, values: unknown[]): QueryConfig {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `sluice_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    preparedNames.set(text, name);
  }
  return { name, text, values };
}

/**
 * Runs `fn` inside BEGIN/COMMIT on one pooled connection and rolls back if it throws, so a
 * multi-statement write is all or nothing. Rethrows `fn`'s error unchanged.
 */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client whose server goes away between statements emits 'error'; unheard, it
  // would crash the process (the pool hears only its idle clients). The statement in flight or
  // the next one fails anyway, and the client is discarded.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A failed ROLLBACK means the connection itself is gone: discard it rather than pool it.
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw err;
  } finally {
    client.release(broken);
    client.off('error', onError);
  }
}
