import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError } from './config';

/**
 * TLS to the Temporal frontend, from the variables Temporal's own CLI and client env-config
 * read: `TEMPORAL_TLS` (true/false), `TEMPORAL_TLS_CLIENT_CERT_PATH` and
 * `TEMPORAL_TLS_CLIENT_KEY_PATH` (mTLS), `TEMPORAL_TLS_SERVER_CA_CERT_PATH`,
 * `TEMPORAL_TLS_SERVER_NAME`. Any of the files or the server name turns TLS on; none of them
 * (and no `TEMPORAL_TLS=true`) means plaintext. The Helm chart sets them from a Secret.
 */
export function temporalTlsFromEnv(env: NodeJS.ProcessEnv): TLSConfig | undefined {
  const read = (name: string): Buffer | undefined => {
    const path = env[name];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`${name}: cannot read ${path} (${(err as Error).message})`);
    }
  };
  const crt = read('TEMPORAL_TLS_CLIENT_CERT_PATH');
  const key = read('TEMPORAL_TLS_CLIENT_KEY_PATH');
  if (Boolean(crt) !== Boolean(key)) {
    throw new ConfigError('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together: set both for mTLS, or neither');
  }
  const ca = read('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  const serverName = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  const flag = env.TEMPORAL_TLS?.toLowerCase();
  if (flag !== undefined && flag !== '' && !['true', 'false', '1', '0'].includes(flag)) {
    throw new ConfigError(`TEMPORAL_TLS: expected true or false, got "${env.TEMPORAL_TLS}"`);
  }
  const configured = Boolean(crt || ca || serverName);
  if (flag === 'false' || flag === '0') {
    if (configured) throw new ConfigError('TEMPORAL_TLS=false, yet TLS files or a server name are set');
    return undefined;
  }
  if (!configured && flag !== 'true' && flag !== '1') return undefined;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
  };
}
