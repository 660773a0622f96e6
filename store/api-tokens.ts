import type { Queryable } from './transaction';
import type { ApiTokenRecord, MetadataStore, TokenScope } from './types';

/** API token rows: the store's half of `api/auth/tokens.ts`. Only pg-store.ts calls these. */

type ApiTokenRow = {
  token_id: string;
  secret_sha256: Buffer;
  name: string;
  scope: TokenScope;
  namespaces: string[] | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

const PUBLIC_COLUMNS = 'token_id, name, scope, namespaces, created_at, expires_at, last_used_at, revoked_at';

function toApiToken(r: Omit<ApiTokenRow, 'secret_sha256'>): ApiTokenRecord {
  return {
    tokenId: r.token_id,
    name: r.name,
    scope: r.scope,
    namespaces: r.namespaces ?? undefined,
    createdAt: r.created_at,
    expiresAt: r.expires_at ?? undefined,
    lastUsedAt: r.last_used_at ?? undefined,
    revokedAt: r.revoked_at ?? undefined,
  };
}

/** A repeated insert (a retried request) returns the row the first one wrote. */
export async function insertApiToken(db: Queryable, t: Parameters<MetadataStore['createApiToken']>[0]): Promise<ApiTokenRecord> {
  await db.query(
    `INSERT INTO api_tokens (token_id, secret_sha256, name, scope, namespaces, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (token_id) DO NOTHING`,
    [t.tokenId, t.secretSha256, t.name, t.scope, t.namespaces ?? null, t.expiresAt ?? null],
  );
  const { rows } = await db.query<ApiTokenRow>(`SELECT ${PUBLIC_COLUMNS} FROM api_tokens WHERE token_id = $1`, [t.tokenId]);
  return toApiToken(rows[0]);
}

export async function readApiToken(db: Queryable, tokenId: string): Promise<(ApiTokenRecord & { secretSha256: Buffer }) | undefined> {
  const { rows } = await db.query<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_id = $1', [tokenId]);
  return rows[0] && { ...toApiToken(rows[0]), secretSha256: rows[0].secret_sha256 };
}

export async function listApiTokens(db: Queryable): Promise<ApiTokenRecord[]> {
  const { rows } = await db.query<ApiTokenRow>(`SELECT ${PUBLIC_COLUMNS} FROM api_tokens ORDER BY created_at DESC, token_id`);
  return rows.map(toApiToken);
}

export async function revokeApiToken(db: Queryable, tokenId: string, at: Date): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE token_id = $1', [tokenId, at]);
  return rowCount === 1;
}

export async function touchApiToken(db: Queryable, tokenId: string, at: Date): Promise<void> {
  await db.query('UPDATE api_tokens SET last_used_at = $2 WHERE token_id = $1 AND (last_used_at IS NULL OR last_used_at < $2)', [tokenId, at]);
}
