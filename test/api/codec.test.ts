import { randomUUID } from 'node:crypto';
import { GZIP_ENCODING } from '../../config/payload-codec';
import type { RunInput } from '../../workflows/types';
import { API, startApiHarness, type ApiHarness } from './harness';
import { fanOutSpec } from './large-specs';

/**
 * The Temporal UI shows a run's history through Sluice's remote codec (`/codec`): the start
 * input, gzipped on the wire, must come back as the JSON the worker reads.
 */
let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api_codec');
});
afterAll(async () => {
  await h?.close();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return h.fetch(`/codec${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

test("decode turns a run's gzipped start input back into its JSON", async () => {
  const created = await h.call('POST', `${API}/runs`, { display_name: `codec-${randomUUID()}`, pipeline_spec: fanOutSpec('codec-fan-out', 50) });
  expect(created.status).toBe(200);
  const history = await h.temporal.workflow.getHandle(created.body.run_id).fetchHistory();
  const raw = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  expect(Buffer.from(raw?.metadata?.encoding ?? new Uint8Array()).toString()).toBe(GZIP_ENCODING);

  const wire = {
    payloads: [{
      metadata: Object.fromEntries(Object.entries(raw?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])),
      data: Buffer.from(raw?.data ?? new Uint8Array()).toString('base64'),
    }],
  };
  const res = await post('/decode', wire, { 'x-namespace': 'default', origin: 'http://127.0.0.1:8233' });
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
  const [decoded] = ((await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
  expect(Buffer.from(decoded.metadata.encoding, 'base64').toString()).toBe('json/plain');
  const input = JSON.parse(Buffer.from(decoded.data, 'base64').toString()) as RunInput;
  expect(input.runId).toBe(created.body.run_id);
  expect(Object.keys(input.spec.root.dag.tasks)).toHaveLength(50);
});

test('encode then decode gives the payload back; small payloads pass through unchanged', async () => {
  const big = { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify({ text: 'x'.repeat(5000) })) };
  const small = { metadata: { encoding: b64('json/plain') }, data: b64('"hi"') };
  const encoded = (await (await post('/encode', { payloads: [big, small] })).json()) as { payloads: typeof big[] };
  expect(Buffer.from(encoded.payloads[0].metadata.encoding, 'base64').toString()).toBe(GZIP_ENCODING);
  expect(encoded.payloads[1]).toEqual(small);
  const decoded = (await (await post('/decode', encoded)).json()) as { payloads: typeof big[] };
  expect(decoded.payloads).toEqual([big, small]);
});

test("the browser's CORS preflight is answered", async () => {
  const res = await h.fetch(`/codec/decode`, {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
  });
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  expect(res.headers.get('access-control-allow-headers')).toContain('x-namespace');
});

test('a malformed body is a 400 naming the field', async () => {
  const res = await post('/decode', { payloads: [{ data: 'not base64 !!' }] });
  expect(res.status).toBe(400);
  expect(JSON.stringify(await res.json())).toContain('payloads.0.data');
  const notGzip = await post('/decode', { payloads: [{ metadata: { encoding: b64(GZIP_ENCODING) }, data: b64('plain text') }] });
  expect(notGzip.status).toBeGreaterThanOrEqual(400);
  expect(notGzip.status).toBeLessThan(500);
});
