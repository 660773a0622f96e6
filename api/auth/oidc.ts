import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { TokenScope } from '../../store/types';
import { UnauthenticatedError, UnavailableError } from '../errors';
import type { Principal } from './principal';

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** The claim naming the user. */
  userClaim: string;
  /** The claim listing the user's namespaces; undefined: every namespace. */
  namespacesClaim?: string;
  scope: TokenScope;
  /** How long after fetching the keys an unknown key id may trigger another fetch; jose's default (30 s) when unset. */
  jwksCooldownMs?: number;
}

/** The two fields of OpenID Connect Discovery 1.0 that verification needs. */
const DiscoveryDocument = z.object({ issuer: z.string(), jwks_uri: z.string().url() });

/**
 * Only asymmetric signatures: a shared-secret (HS*) key would let anyone who holds it mint
 * tokens, and `none` is no signature at all. jose refuses `none` with a key set anyway.
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Verifies ID/access tokens from one OIDC issuer (Dex, in a Kubeflow cluster): signature by a key
 * of the issuer's JWKS, `iss`, `aud`, `exp`/`nbf`. The discovery document is read once (again
 * after a failure); jose's remote key set caches the keys and refetches them when a token names
 * a key it does not hold, which is how a key rotation arrives.
 */
export class OidcVerifier {
  private keys?: Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(private readonly settings: OidcSettings) {}

  /** Throws `UnauthenticatedError` for a token that does not verify, `UnavailableError` when the issuer cannot be read. */
  async verify(token: string): Promise<Principal> {
    const { issuer, audience, userClaim, namespacesClaim, scope } = this.settings;
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer, audience, algorithms: ALGORITHMS }));
    } catch (err) {
      if (err instanceof joseErrors.JWKSTimeout) throw new UnavailableError(`OIDC issuer ${issuer}: its keys could not be fetched in time`);
      if (err instanceof joseErrors.JOSEError) throw new UnauthenticatedError(`invalid OIDC token: ${err.message}`, true);
      throw err;
    }
    const user = payload[userClaim] ?? payload.sub;
    if (typeof user !== 'string' || !user) throw new UnauthenticatedError(`invalid OIDC token: no "${userClaim}" claim naming the user`, true);
    return { subject: `user ${user}`, scope, namespaces: namespacesClaim === undefined ? undefined : claimList(payload[namespacesClaim]) };
  }

  private keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.keys ??= discover(this.settings.issuer, this.settings.jwksCooldownMs).catch((err: unknown) => {
      this.keys = undefined;
      throw err;
    });
    return this.keys;
  }
}

async function discover(issuer: string, cooldownDuration: number | undefined): Promise<ReturnType<typeof createRemoteJWKSet>> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let doc: z.infer<typeof DiscoveryDocument>;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = DiscoveryDocument.parse(await res.json());
  } catch (err) {
    throw new UnavailableError(`OIDC issuer ${issuer}: cannot read its discovery document ${url}: ${(err as Error).message}`);
  }
  // OIDC Discovery §4.3: the document must name the issuer it was fetched for.
  if (doc.issuer !== issuer) throw new UnavailableError(`OIDC issuer ${issuer}: its discovery document names issuer "${doc.issuer}"`);
  return createRemoteJWKSet(new URL(doc.jwks_uri), cooldownDuration === undefined ? {} : { cooldownDuration });
}

/** A groups-like claim: a list of strings, or one string. Anything else grants nothing. */
function claimList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
