import { API, startApiHarness, type ApiHarness } from './harness';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness('api_experiments');
});

afterAll(async () => {
  await h?.close();
});

test('create, get, archive, unarchive and delete an experiment', async () => {
  const created = await h.call('POST', `${API}/experiments`, { display_name: 'lifecycle', description: 'about it' });
  expect(created.status).toBe(200);
  expect(created.body).toMatchObject({ display_name: 'lifecycle', description: 'about it', namespace: '', storage_state: 'AVAILABLE' });
  const id = created.body.experiment_id;
  expect((await h.call('GET', `${API}/experiments/${id}`)).body).toEqual(created.body);

  expect((await h.call('POST', `${API}/experiments/${id}:archive`)).body).toEqual({});
  expect((await h.call('GET', `${API}/experiments/${id}`)).body.storage_state).toBe('ARCHIVED');
  expect((await h.call('POST', `${API}/experiments/${id}:unarchive`)).status).toBe(200);
  expect((await h.call('GET', `${API}/experiments/${id}`)).body.storage_state).toBe('AVAILABLE');

  expect((await h.call('DELETE', `${API}/experiments/${id}`)).status).toBe(200);
  const gone = await h.call('GET', `${API}/experiments/${id}`);
  expect(gone.status).toBe(404);
  expect(gone.body.error_message).toBe(`experiment "${id}" not found`);
  expect((await h.call('POST', `${API}/experiments/${id}:archive`)).status).toBe(404);
  expect((await h.call('DELETE', `${API}/experiments/${id}`)).status).toBe(404);
});

test('display_name is required and unique', async () => {
  const missing = await h.call('POST', `${API}/experiments`, { description: 'no name' });
  expect(missing.status).toBe(400);
  expect(missing.body.error_message).toBe('display_name: required');
  const empty = await h.call('POST', `${API}/experiments`, { display_name: '' });
  expect(empty.status).toBe(400);

  await h.call('POST', `${API}/experiments`, { display_name: 'only-once' });
  const again = await h.call('POST', `${API}/experiments`, { display_name: 'only-once' });
  expect(again.status).toBe(409);
  expect(again.body.error_message).toContain('only-once');
});

test('the Default experiment is listed and cannot be deleted', async () => {
  const filter = encodeURIComponent(JSON.stringify({ predicates: [{ key: 'display_name', operation: 'EQUALS', string_value: 'Default' }] }));
  const found = await h.call('GET', `${API}/experiments?filter=${filter}`);
  expect(found.body.experiments).toHaveLength(1);
  const refused = await h.call('DELETE', `${API}/experiments/${found.body.experiments[0].experiment_id}`);
  expect(refused.status).toBe(409);
  expect(refused.body.error_message).toMatch(/Default experiment cannot be deleted/);
});

test('list pages with tokens, sorts, and filters as kfp.Client and the KFP UI do', async () => {
  for (const n of ['e1', 'e2', 'e3', 'e4']) await h.call('POST', `${API}/experiments`, { display_name: `paged-${n}` });
  const seen: string[] = [];
  let token: string | undefined;
  do {
    const res = await h.call('GET', `${API}/experiments?page_size=3&sort_by=display_name${token ? `&page_token=${token}` : ''}`);
    expect(res.status).toBe(200);
    seen.push(...res.body.experiments.map((e: { display_name: string }) => e.display_name));
    token = res.body.next_page_token;
  } while (token);
  expect(seen).toEqual([...seen].sort());
  expect(seen).toEqual(expect.arrayContaining(['Default', 'paged-e1', 'paged-e2', 'paged-e3', 'paged-e4']));

  // kfp.Client.get_experiment(experiment_name=...) sends a numeric operation and camelCase value.
  const byName = encodeURIComponent(JSON.stringify({ predicates: [{ operation: 1, key: 'display_name', stringValue: 'paged-e3' }] }));
  const one = await h.call('GET', `${API}/experiments?filter=${byName}`);
  expect(one.body.experiments.map((e: { display_name: string }) => e.display_name)).toEqual(['paged-e3']);

  const archivedId = one.body.experiments[0].experiment_id;
  await h.call('POST', `${API}/experiments/${archivedId}:archive`);
  const active = encodeURIComponent(JSON.stringify({ predicates: [{ key: 'storage_state', operation: 'NOT_EQUALS', string_value: 'ARCHIVED' }] }));
  const activeNames = (await h.call('GET', `${API}/experiments?filter=${active}`)).body.experiments.map((e: { display_name: string }) => e.display_name);
  expect(activeNames).toContain('paged-e1');
  expect(activeNames).not.toContain('paged-e3');

  const badOp = encodeURIComponent(JSON.stringify({ predicates: [{ key: 'display_name', operation: 'GREATER_THAN', string_value: 'a' }] }));
  const refused = await h.call('GET', `${API}/experiments?filter=${badOp}`);
  expect(refused.status).toBe(400);
  expect(refused.body.error_message).toBe(
    'filter.predicates.0.operation: operation GREATER_THAN is not supported on "display_name"; supported: EQUALS, NOT_EQUALS, IN, IS_SUBSTRING',
  );
});
