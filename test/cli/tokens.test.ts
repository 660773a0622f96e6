import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveToken } from '../../cli/context';
import { localTokenPath } from '../../config/local-token';
import { startApiHarness, type ApiHarness } from '../api/harness';
import { cli } from './harness';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness('cli_tokens');
});

afterAll(async () => {
  await h?.close();
});

const asAdmin = (...args: string[]) => cli(['--api', h.url, '--token', h.token, ...args]);

test('tokens create prints the token once; it works until revoked', async () => {
  const created = await asAdmin('tokens', 'create', '--name', 'ci', '--scope', 'write', '--namespace', 'team-a', '--expires-in', '30d');
  expect(created.code).toBe(0);
  const token = created.stdout.trim();
  expect(token).toMatch(/^sluice_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  const tokenId = token.slice(7, 23);
  expect(created.stderr).toMatch(new RegExp(`^Token ${tokenId} \\(write, namespaces "team-a", expires 20\\d\\d-.*shown only now`));

  // SLUICE_TOKEN is the other way to give it.
  expect((await cli(['--api', h.url, 'runs', 'list'], { SLUICE_TOKEN: token })).code).toBe(0);

  const listed = await asAdmin('tokens', 'list');
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(new RegExp(`${tokenId}\\s+ci\\s+write\\s+team-a`));
  expect(listed.stdout).not.toContain(token.slice(24));
  const json = JSON.parse((await asAdmin('tokens', 'list', '--json')).stdout) as { token_id: string; revoked_at?: string }[];
  expect(json.find((t) => t.token_id === tokenId)?.revoked_at).toBeUndefined();

  expect((await asAdmin('tokens', 'revoke', tokenId)).stdout).toBe(`Token ${tokenId} revoked.\n`);
  const refused = await cli(['--api', h.url, '--token', token, 'runs', 'list']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(new RegExp(`error: token ${tokenId} was revoked at .* \\(HTTP 401\\)`));
});

test('without a token the API refuses, saying how to get one; a read token cannot manage tokens', async () => {
  const anonymous = await cli(['--api', h.url, 'runs', 'list']);
  expect(anonymous.code).toBe(2);
  expect(anonymous.stderr).toMatch(/this request needs a token.*sluice tokens create makes one.*\(HTTP 401\)/);
  const reader = (await asAdmin('tokens', 'create', '--name', 'reader')).stdout.trim();
  const denied = await cli(['--api', h.url, '--token', reader, 'tokens', 'list']);
  expect(denied.code).toBe(2);
  expect(denied.stderr).toMatch(/has scope "read"; this request needs "admin" \(HTTP 403\)/);
  expect((await asAdmin('tokens', 'create', '--name', 'x', '--expires-in', 'soon')).stderr).toMatch(/--expires-in must be a number and a unit/);
});

test("with DATABASE_URL, tokens are made in the database directly: a cluster's first token", async () => {
  const created = await cli(['tokens', 'create', '--name', 'bootstrap', '--scope', 'admin'], { DATABASE_URL: h.databaseUrl });
  expect(created.code).toBe(0);
  const token = created.stdout.trim();
  expect((await cli(['--api', h.url, '--token', token, 'tokens', 'list'])).stdout).toMatch(/bootstrap\s+admin\s+\*/);
  expect((await cli(['tokens', 'list'], { DATABASE_URL: h.databaseUrl })).stdout).toMatch(/bootstrap\s+admin/);
});

test("the local token in the data dir is used for a loopback API only, never sent elsewhere", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-cli-token-'));
  writeFileSync(localTokenPath(dataDir), 'sluice_local\n', { mode: 0o600 });
  const env = { SLUICE_DATA_DIR: dataDir };
  expect(resolveToken(undefined, env, 'http://127.0.0.1:8888')).toBe('sluice_local');
  expect(resolveToken(undefined, env, 'http://localhost:8888')).toBe('sluice_local');
  expect(resolveToken(undefined, env, 'https://sluice.example.com')).toBeUndefined();
  expect(resolveToken('flag', { ...env, SLUICE_TOKEN: 'env' }, 'http://127.0.0.1:8888')).toBe('flag');
  expect(resolveToken(undefined, { ...env, SLUICE_TOKEN: 'env' }, 'https://sluice.example.com')).toBe('env');
});
