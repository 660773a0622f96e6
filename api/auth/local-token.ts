import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import { localTokenPath, readLocalToken } from '../../config/local-token';
import { UnauthenticatedError } from '../errors';
import type { TokenService } from './tokens';

/**
 * The embedded stack's token for the local user: the one in the data dir while the store still
 * accepts it, else a new admin token for every namespace, written there (mode 0600). So the first
 * `sluice dev` bootstraps access without any token, and a data dir pointed at a fresh database
 * gets a working token again.
 */
export async function ensureLocalToken(dataDir: string, tokens: TokenService): Promise<string> {
  const existing = readLocalToken(dataDir);
  if (existing) {
    try {
      await tokens.verify(existing);
      return existing;
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throw err;
    }
  }
  const { token } = await tokens.create({ name: `local user ${userInfo().username}`, scope: 'admin' });
  const file = localTokenPath(dataDir);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  // The mode above applies only to a new file; an older one keeps its own.
  chmodSync(file, 0o600);
  return token;
}
