import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import { OidcVerifier } from '../../api/auth/oidc';
import { closedPort } from '../cli/harness';
import { API, startApiHarness, type ApiHarness } from './harness';

/**
 * A real OIDC issuer in the test: discovery document and JWKS over HTTP, real key pairs, real
 * signed tokens. It serves whichever keys are current, so a rotation is a new key pair.
 */
class TestIssuer {
  keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
  jwksFetches = 0;
  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<TestIssuer> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const issuer = new TestIssuer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/dex`);
    server.on('request', (req, res) => {
      const body =
        req.url === '/dex/.well-known/openid-configuration'
          ? { issuer: issuer.url, jwks_uri: `${issuer.url}/keys` }
          : req.url === '/dex/keys'
            ? (issuer.jwksFetches++, { keys: issuer.keys.map((k) => k.jwk) })
            : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    });
    await issuer.rotate();
    return issuer;
  }

  /** A new signing key; the old one leaves the key set. */
  async rotate(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = `key-${this.keys.length + 1}`;
    this.keys = [{ kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } }];
  }

  sign(claims: JWTPayload, opts: { issuer?: string; audience?: string; expiresIn?: string | number; key?: CryptoKey } = {}): Promise<string> {
    const [current] = this.keys;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: current.kid })
      .setIssuer(opts.issuer ?? this.url)
      .setAudience(opts.audience ?? 'sluice')
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '5m')
      .sign(opts.key ?? current.privateKey);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('OIDC (an issuer like Dex)', () => {
  let issuer: TestIssuer;
  let h: ApiHarness;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    const oidc = new OidcVerifier({ issuer: issuer.url, audience: 'sluice', userClaim: 'email', namespacesClaim: 'groups', scope: 'write', jwksCooldownMs: 0 });
    h = await startApiHarness('api_auth_oidc', { auth: { oidc } });
  });

  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  const list = (token: string) => h.call('GET', `${API}/experiments`, undefined, { token });

  test('a valid token is accepted, and its user may write', async () => {
    const token = await issuer.sign({ email: 'alice@example.com', groups: [''] });
    expect((await list(token)).status).toBe(200);
    expect((await h.call('POST', `${API}/experiments`, { display_name: 'by alice' }, { token })).status).toBe(200);
  });

  test.each<[string, () => Promise<string>, RegExp]>([
    ['expired', () => issuer.sign({ email: 'a@x' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }), /"exp" claim timestamp check failed/],
    ['from another issuer', () => issuer.sign({ email: 'a@x' }, { issuer: 'http://127.0.0.1:1/other' }), /unexpected "iss" claim value/],
    ['for another audience', () => issuer.sign({ email: 'a@x' }, { audience: 'someone-else' }), /unexpected "aud" claim value/],
    [
      'signed by a key that is not the issuer\'s (same key id)',
      async () => issuer.sign({ email: 'a@x' }, { key: (await generateKeyPair('RS256')).privateKey }),
      /signature verification failed/,
    ],
    [
      'unsigned (alg: none)',
      async () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: issuer.url, aud: 'sluice', email: 'a@x', exp: Math.floor(Date.now() / 1000) + 300 })}.`,
      /invalid OIDC token/,
    ],
    ['without the user claim', () => issuer.sign({ sub: '' }), /no "email" claim naming the user/],
  ])('a token %s is 401', async (_label, make, message) => {
    const res = await list(await make());
    expect(res.status).toBe(401);
    expect(res.body.error_message).toMatch(message);
  });

  test('a rotated key is fetched when a token names it', async () => {
    const before = issuer.jwksFetches;
    await issuer.rotate();
    expect((await list(await issuer.sign({ email: 'bob@example.com', groups: [''] }))).status).toBe(200);
    expect(issuer.jwksFetches).toBeGreaterThan(before);
  });
});

test('an unreachable issuer is 503 naming it, not 401', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/dex`;
  const oidc = new OidcVerifier({ issuer: url, audience: 'sluice', userClaim: 'email', scope: 'read' });
  const h = await startApiHarness('api_auth_oidc_down', { auth: { oidc } });
  try {
    const res = await h.call('GET', `${API}/experiments`, undefined, { token: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' });
    expect(res.status).toBe(503);
    expect(res.body.error_message).toContain(`OIDC issuer ${url}: cannot read its discovery document`);
  } finally {
    await h.close();
  }
});

describe('a trusted authenticating proxy (Kubeflow: kubeflow-userid)', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness('api_auth_proxy', { auth: { proxy: { userHeader: 'kubeflow-userid', namespacesHeader: 'kubeflow-groups', scope: 'read' } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  test('its user header is believed when configured, with that scope', async () => {
    const headers = { 'kubeflow-userid': 'alice@example.com', 'kubeflow-groups': '' };
    expect((await h.call('GET', `${API}/experiments`, undefined, { token: null, headers })).status).toBe(200);
    const write = await h.call('POST', `${API}/experiments`, { display_name: 'x' }, { token: null, headers });
    expect(write.status).toBe(403);
    expect(write.body.error_message).toMatch(/^user alice@example.com has scope "read"/);
  });
});

test('without the trusted-proxy setting (the default) the header is ignored', async () => {
  const h = await startApiHarness('api_auth_no_proxy');
  try {
    const res = await h.call('GET', `${API}/experiments`, undefined, { token: null, headers: { 'kubeflow-userid': 'admin@example.com' } });
    expect(res.status).toBe(401);
  } finally {
    await h.close();
  }
});

test("the dev stack's codec is open to loopback peers, and nothing else is", async () => {
  const h = await startApiHarness('api_auth_codec', { auth: { anonymousCodecOnLoopback: true } });
  try {
    expect((await h.call('POST', '/codec/decode', { payloads: [] }, { token: null, headers: { origin: 'http://localhost:8233' } })).status).toBe(200);
    expect((await h.call('GET', `${API}/runs`, undefined, { token: null })).status).toBe(401);
  } finally {
    await h.close();
  }
});
