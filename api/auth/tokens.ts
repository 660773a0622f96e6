import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiTokenRecord, MetadataStore, TokenScope } from '../../store/types';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '../errors';
import type { Access, Principal } from './principal';

/**
 * `sluice_<id>_<secret>`: 8 random bytes of id (hex, public, the row's key) and 32 of secret
 * (base64url). The id lets a token be found without a search by secret; only the secret's
 * SHA-256 is stored, and it is compared in constant time. A plain hash, not a slow KDF, is
 * enough because the secret has 256 bits of entropy: no dictionary reaches it.
 */
const TOKEN_PATTERN = /^sluice_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** How stale `lastUsedAt` may get before a request updates it: one write a minute per token, not one per request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface NewToken {
  name: string;
  scope: TokenScope;
  /** Undefined: every namespace. */
  namespaces?: string[];
  expiresAt?: Date;
}

/** Creating, listing, revoking and verifying API tokens; the only code that sees a token's secret. */
export class TokenService {
  constructor(
    private readonly store: MetadataStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Whether `credential` has a Sluice token's form (else it may be an OIDC JWT). */
  static isToken(credential: string): boolean {
    return credential.startsWith('sluice_');
  }

  /**
   * A new token; the plain token is in the result and nowhere else, ever. With `creator`, the
   * new token may not reach namespaces the creator cannot (403 naming them).
   */
  async create(t: NewToken, creator?: Access): Promise<{ token: string; record: ApiTokenRecord }> {
    if (creator && !within(t, creator)) {
      const beyond = t.namespaces === undefined ? ['every namespace'] : t.namespaces.filter((n) => !creator.reaches(n)).map((n) => `"${n}"`);
      throw new PermissionDeniedError(`${creator.principal.subject} cannot create a token for ${beyond.join(', ')}`);
    }
    const tokenId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record = await this.store.createApiToken({ ...t, tokenId, secretSha256: sha256(secret) });
    return { token: `sluice_${tokenId}_${secret}`, record };
  }

  /** With `viewer`, only the tokens within its namespaces: an admin of one team does not see (or revoke) another's. */
  async list(viewer?: Access): Promise<ApiTokenRecord[]> {
    const tokens = await this.store.listApiTokens();
    return viewer ? tokens.filter((t) => within(t, viewer)) : tokens;
  }

  /** Revoking twice is fine; an unknown id (or, with `by`, one beyond its namespaces) is a 404. */
  async revoke(tokenId: string, by?: Access): Promise<void> {
    const token = by && (await this.store.getApiToken(tokenId));
    if (by && !(token && within(token, by))) throw new NotFoundError('token', tokenId);
    if (!(await this.store.revokeApiToken(tokenId, this.now()))) throw new NotFoundError('token', tokenId);
  }

  /** The caller a token stands for. Throws `UnauthenticatedError` for a malformed, unknown, revoked or expired token. */
  async verify(token: string): Promise<Principal> {
    const match = TOKEN_PATTERN.exec(token);
    if (!match) throw new UnauthenticatedError('malformed Sluice token (expected sluice_<16 hex>_<43 base64url>)', true);
    const [, tokenId, secret] = match;
    const row = await this.store.getApiToken(tokenId);
    // One message for both: which ids exist is nobody's business.
    if (!row || !timingSafeEqual(row.secretSha256, sha256(secret))) throw new UnauthenticatedError('invalid token', true);
    const now = this.now();
    if (row.revokedAt) throw new UnauthenticatedError(`token ${tokenId} was revoked at ${row.revokedAt.toISOString()}`, true);
    if (row.expiresAt && row.expiresAt <= now) throw new UnauthenticatedError(`token ${tokenId} expired at ${row.expiresAt.toISOString()}`, true);
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) await this.store.touchApiToken(tokenId, now);
    return { subject: `token "${row.name}" (${tokenId})`, scope: row.scope, namespaces: row.namespaces };
  }
}

/** Whether every namespace `token` reaches is one `access` reaches. */
function within(token: Pick<ApiTokenRecord, 'namespaces'>, access: Access): boolean {
  if (access.principal.namespaces === undefined) return true;
  return token.namespaces !== undefined && token.namespaces.every((n) => access.reaches(n));
}

function sha256(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
