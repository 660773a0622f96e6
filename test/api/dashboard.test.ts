import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, startApiHarness, type ApiHarness } from './harness';

let h: ApiHarness;

beforeAll(async () => {
  const uiDir = mkdtempSync(join(tmpdir(), 'sluice-ui-'));
  writeFileSync(join(uiDir, 'index.html'), '<html>dashboard</html>');
  writeFileSync(join(uiDir, 'app.js'), 'console.log(1)');
  h = await startApiHarness('api_dashboard', { uiDir });
});

afterAll(async () => {
  await h?.close();
});

test('the dashboard is served at / beside the API', async () => {
  const index = await h.call('GET', '/');
  expect(index.status).toBe(200);
  expect(index.text).toBe('<html>dashboard</html>');
  expect((await h.call('GET', '/app.js')).text).toBe('console.log(1)');
  expect((await h.call('GET', `${API}/healthz`)).status).toBe(200);
});

test('a path that is neither a file nor a route is a JSON 404', async () => {
  const res = await h.call('GET', '/missing.js');
  expect(res.status).toBe(404);
  expect(res.body.error_message).toBe('route "GET /missing.js" not found');
});
