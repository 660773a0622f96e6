import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { API, startApiHarness, tinySpec, type ApiHarness } from './harness';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness('api_auth');
});

afterAll(async () => {
  await h?.close();
});

/** Every route the API serves besides the probe, with a method that reaches it. */
const ROUTES: [method: string, path: string][] = [
  ['POST', `${API}/pipelines/upload`],
  ['POST', `${API}/pipelines/upload_version`],
  ['POST', `${API}/pipelines`],
  ['POST', `${API}/pipelines/create`],
  ['GET', `${API}/pipelines`],
  ['GET', `${API}/pipelines/names/p`],
  ['GET', `${API}/pipelines/p1`],
  ['DELETE', `${API}/pipelines/p1`],
  ['POST', `${API}/pipelines/p1/versions`],
  ['GET', `${API}/pipelines/p1/versions`],
  ['GET', `${API}/pipelines/p1/versions/v1`],
  ['DELETE', `${API}/pipelines/p1/versions/v1`],
  ['POST', `${API}/experiments`],
  ['GET', `${API}/experiments`],
  ['GET', `${API}/experiments/e1`],
  ['DELETE', `${API}/experiments/e1`],
  ['POST', `${API}/experiments/e1:archive`],
  ['POST', `${API}/experiments/e1:unarchive`],
  ['POST', `${API}/runs`],
  ['GET', `${API}/runs`],
  ['GET', `${API}/runs/r1`],
  ['GET', `${API}/runs/r1/tasks`],
  ['DELETE', `${API}/runs/r1`],
  ['POST', `${API}/runs/r1:terminate`],
  ['POST', `${API}/runs/r1:retry`],
  ['POST', `${API}/runs/r1:archive`],
  ['POST', `${API}/runs/r1:unarchive`],
  ['GET', `${API}/runs/r1/tasks/t/logs`],
  ['GET', `${API}/runs/r1/artifacts`],
  ['GET', `${API}/artifacts/a1`],
  ['POST', `${API}/tokens`],
  ['GET', `${API}/tokens`],
  ['POST', `${API}/tokens/t1:revoke`],
  ['POST', '/codec/decode'],
  ['POST', '/codec/encode'],
  ['GET', '/app.js'],
  ['GET', '/no-such-route'],
];

/** The stored rows of a token, every column. */
async function tokenRows(tokenId: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: h.databaseUrl });
  await client.connect();
  try {
    return (await client.query('SELECT * FROM api_tokens WHERE token_id = $1', [tokenId])).rows;
  } finally {
    await client.end();
  }
}

/** A raw HTTP request, for headers fetch() will not let a caller set (`Host`). */
function raw(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const { hostname, port } = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('without a credential', () => {
  test.each(ROUTES)('%s %s is 401 with a Bearer challenge', async (method, path) => {
    const res = await h.call(method, path, method === 'GET' ? undefined : {}, { token: null });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(16);
    expect(res.body.error_message).toMatch(/needs a token/);
    const challenge = (await h.fetch(path, { method }, null)).headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer realm="sluice"/);
  });

  test('the health probe stays open, for any Host (kubelet probes use the pod IP)', async () => {
    expect((await h.call('GET', `${API}/healthz`, undefined, { token: null })).status).toBe(200);
    expect((await raw('GET', `${API}/healthz`, { host: '10.1.2.3:8888' })).status).toBe(200);
  });

  test('OPTIONS (a CORS preflight carries no credential) reaches no data and no 5xx', async () => {
    for (const path of [`${API}/runs/r1`, `${API}/runs`, '/codec/decode']) {
      const res = await h.fetch(path, { method: 'OPTIONS' }, null);
      expect(res.status).toBeLessThan(300);
      expect(await res.text()).not.toMatch(/run_id|experiment/);
    }
  });

  test('a person opening the dashboard is sent to the login page', async () => {
    const res = await h.fetch('/', { headers: { accept: 'text/html' }, redirect: 'manual' }, null);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
    const login = await h.call('GET', '/login', undefined, { token: null });
    expect(login.status).toBe(200);
    expect(login.text).toContain('<form method="post" action="/login">');
  });
});

describe('a bad credential is 401 naming the problem, with invalid_token', () => {
  test.each([
    ['Basic dXNlcjpwYXNz', /Authorization header must be "Bearer <token>"/],
    ['Bearer sluice_nothex', /malformed Sluice token/],
    [`Bearer sluice_0123456789abcdef_${'A'.repeat(43)}`, /^invalid token$/],
    ['Bearer eyJhbGciOiJub25lIn0.e30.', /no OIDC issuer is configured/],
  ])('%s', async (authorization, message) => {
    const res = await h.fetch(`${API}/runs`, { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(((await res.json()) as { error_message: string }).error_message).toMatch(message);
  });

  test("a token's secret part altered by one character", async () => {
    const { token } = await h.tokens.create({ name: 'tampered', scope: 'read' });
    const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect((await h.call('GET', `${API}/runs`, undefined, { token: altered })).status).toBe(401);
    expect((await h.call('GET', `${API}/runs`, undefined, { token })).status).toBe(200);
  });

  test('revoked and expired tokens', async () => {
    const { token, record } = await h.tokens.create({ name: 'soon revoked', scope: 'write' });
    expect((await h.call('GET', `${API}/experiments`, undefined, { token })).status).toBe(200);
    expect((await h.call('POST', `${API}/tokens/${record.tokenId}:revoke`)).status).toBe(200);
    const revoked = await h.call('GET', `${API}/experiments`, undefined, { token });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error_message).toMatch(new RegExp(`token ${record.tokenId} was revoked at`));

    const expired = await h.tokens.create({ name: 'expired', scope: 'read', expiresAt: new Date(Date.now() - 1000) });
    const res = await h.call('GET', `${API}/experiments`, undefined, { token: expired.token });
    expect(res.status).toBe(401);
    expect(res.body.error_message).toMatch(/expired at/);
  });
});

describe('scopes', () => {
  test('a read token reads but cannot write or manage tokens (403 naming the scope)', async () => {
    const { token } = await h.tokens.create({ name: 'reader', scope: 'read' });
    expect((await h.call('GET', `${API}/runs`, undefined, { token })).status).toBe(200);
    const write = await h.call('POST', `${API}/experiments`, { display_name: 'by a reader' }, { token });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe(7);
    expect(write.body.error_message).toBe('token "reader" (' + write.body.error_message.match(/\(([0-9a-f]{16})\)/)[1] + ') has scope "read"; this request needs "write"');
    expect((await h.call('GET', `${API}/tokens`, undefined, { token })).body.error_message).toMatch(/needs "admin"/);
    // The codec changes nothing: read is enough.
    expect((await h.call('POST', '/codec/decode', { payloads: [] }, { token })).status).toBe(200);
  });

  test('a write token writes but cannot manage tokens', async () => {
    const { token } = await h.tokens.create({ name: 'writer', scope: 'write' });
    expect((await h.call('POST', `${API}/experiments`, { display_name: 'by a writer' }, { token })).status).toBe(200);
    expect((await h.call('POST', `${API}/tokens`, { name: 'x' }, { token })).status).toBe(403);
  });
});

describe('token management', () => {
  test('the plain token is shown once; the store keeps only a hash of its secret', async () => {
    const created = await h.call('POST', `${API}/tokens`, { name: 'ci', scope: 'write', namespaces: ['team-a'], expires_in_seconds: 3600 });
    expect(created.status).toBe(200);
    const { token, token_id: tokenId } = created.body;
    expect(token).toMatch(/^sluice_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'ci', scope: 'write', namespaces: ['team-a'] });

    const listed = await h.call('GET', `${API}/tokens`);
    const row = listed.body.tokens.find((t: { token_id: string }) => t.token_id === tokenId);
    expect(row).toMatchObject({ name: 'ci', scope: 'write', namespaces: ['team-a'] });
    expect(row.expires_at).toBeDefined();
    expect(listed.text).not.toContain(token.slice(24));

    const secret = token.slice(24);
    const rows = await tokenRows(tokenId);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows[0].secret_sha256).toHaveLength(32);

    expect((await h.call('GET', `${API}/experiments`, undefined, { token })).status).toBe(200);
    const used = (await h.call('GET', `${API}/tokens`)).body.tokens.find((t: { token_id: string }) => t.token_id === tokenId);
    expect(used.last_used_at).toBeDefined();
  });

  test('bad requests name the field; revoking an unknown token is 404', async () => {
    const bad = await h.call('POST', `${API}/tokens`, { name: 'x', scope: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body.error_message).toMatch(/^scope: /);
    expect((await h.call('POST', `${API}/tokens`, {})).body.error_message).toMatch(/^name: required/);
    expect((await h.call('POST', `${API}/tokens/0000000000000000:revoke`)).status).toBe(404);
  });

  test('an admin bound to namespaces cannot mint a token beyond them', async () => {
    const { token } = await h.tokens.create({ name: 'team-a admin', scope: 'admin', namespaces: ['team-a'] });
    expect((await h.call('POST', `${API}/tokens`, { name: 'ok', namespaces: ['team-a'] }, { token })).status).toBe(200);
    const beyond = await h.call('POST', `${API}/tokens`, { name: 'no', namespaces: ['team-b'] }, { token });
    expect(beyond.status).toBe(403);
    expect(beyond.body.error_message).toMatch(/cannot create a token for "team-b"/);
    expect((await h.call('POST', `${API}/tokens`, { name: 'no' }, { token })).body.error_message).toMatch(/every namespace/);
    // Nor see or revoke tokens that reach beyond them.
    const listed = (await h.call('GET', `${API}/tokens`, undefined, { token })).body.tokens as { name: string }[];
    expect(listed.map((t) => t.name).sort()).toEqual(['ci', 'ok', 'team-a admin']);
    const harnessToken = (await h.call('GET', `${API}/tokens`)).body.tokens.find((t: { name: string }) => t.name === 'api test harness');
    expect((await h.call('POST', `${API}/tokens/${harnessToken.token_id}:revoke`, undefined, { token })).status).toBe(404);
  });
});

describe('Host and Origin', () => {
  test('a Host that is not a name of this server is 421 (DNS rebinding)', async () => {
    const res = await raw('GET', `${API}/runs`, { host: 'attacker.example:8888', authorization: `Bearer ${h.token}` });
    expect(res.status).toBe(421);
    expect(res.text).toContain('Host \\"attacker.example:8888\\" is not a name of this server');
    for (const host of ['localhost:1', '127.0.0.1', '[::1]:8888']) {
      expect((await raw('GET', `${API}/runs`, { host, authorization: `Bearer ${h.token}` })).status).toBe(200);
    }
  });

  test('state-changing cross-origin requests are refused; same-origin and non-browser ones pass', async () => {
    const body = (name: string) => ({ display_name: name });
    const foreign = await h.call('POST', `${API}/experiments`, body('cross'), { headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error_message).toMatch(/cross-origin POST from http:\/\/evil.example refused/);
    const crossSite = await h.call('POST', `${API}/runs/r1:terminate`, undefined, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    expect((await h.call('POST', `${API}/experiments`, body('same'), { headers: { origin: h.url, 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
    expect((await h.call('POST', `${API}/experiments`, body('cli'))).status).toBe(200);
    // Reading is not refused: the browser's CORS rules keep the answer from another origin's page.
    expect((await h.call('GET', `${API}/experiments`, undefined, { headers: { origin: 'http://evil.example' } })).status).toBe(200);
  });
});

describe('the dashboard session', () => {
  test('the login link sets an HttpOnly, SameSite=Strict cookie that the dashboard and its API calls use', async () => {
    const login = await h.fetch(`/login?token=${encodeURIComponent(h.token)}`, { redirect: 'manual' }, null);
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sluice_token=sluice_[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const session = cookie.split(';')[0];
    const asBrowser = (extra: Record<string, string> = {}) => ({ token: null, headers: { cookie: session, ...extra } });
    expect((await h.call('GET', `${API}/runs`, undefined, asBrowser())).status).toBe(200);
    // A dashboard action (terminate, say) from its own page passes; the same request from another site does not.
    const spec = tinySpec('dashboard-session');
    expect((await h.call('POST', `${API}/runs`, { display_name: 'from the page', pipeline_spec: spec }, asBrowser({ origin: h.url }))).status).toBe(200);
    expect((await h.call('POST', `${API}/runs`, { display_name: 'forged', pipeline_spec: spec }, asBrowser({ origin: 'http://evil.example' }))).status).toBe(403);
  });

  test('the login form posts the token; a bad one gets the form again with the reason', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await h.fetch('/login', { method: 'POST', headers: form, body: `token=${encodeURIComponent(h.token)}`, redirect: 'manual' }, null);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const bad = await h.fetch('/login', { method: 'POST', headers: form, body: 'token=sluice_x' }, null);
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('<p class="error">malformed Sluice token');
    expect(bad.headers.get('set-cookie')).toBeNull();
  });
});
