import type { ApiTokenRecord } from '../../store/types';
import type { ApiToken } from '../api-types';
import type { NewToken } from '../auth/tokens';
import type { CreateTokenBody } from '../schemas/tokens';
import { optionalRfc3339, rfc3339 } from './common';

/** A token's record without its secret (which the API never has after creation). */
export function toApiToken(t: ApiTokenRecord): ApiToken {
  return {
    token_id: t.tokenId,
    name: t.name,
    scope: t.scope,
    namespaces: t.namespaces,
    created_at: rfc3339(t.createdAt),
    expires_at: optionalRfc3339(t.expiresAt),
    last_used_at: optionalRfc3339(t.lastUsedAt),
    revoked_at: optionalRfc3339(t.revokedAt),
  };
}

/** A create request as the token service takes it: a lifetime becomes an expiry time from `now`. */
export function toNewToken(body: CreateTokenBody, now: Date): NewToken {
  const expiresAt = body.expires_in_seconds === undefined ? undefined : new Date(now.getTime() + body.expires_in_seconds * 1000);
  return { name: body.name, scope: body.scope, namespaces: body.namespaces, expiresAt };
}
