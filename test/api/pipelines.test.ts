import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { API, startApiHarness, tinySpec, type ApiHarness } from './harness';
import { KFP_CORPUS } from '../support/kfp-corpus';
import { saySkipped } from '../support/say-skipped';

const INVALID_CORPUS = join(KFP_CORPUS, 'invalid');

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness('api_pipelines');
});

afterAll(async () => {
  await h?.close();
});

async function pipelineCount(): Promise<number> {
  return (await h.store.listPipelines({})).totalSize;
}

test('healthz answers with KFP shape and the status of each dependency; readyz says ready', async () => {
  const res = await h.call('GET', `${API}/healthz`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    multi_user: false,
    pipeline_store: 'database',
    dependencies: { temporal: { status: 'up' }, postgresql: { status: 'up' } },
  });
  const ready = await h.call('GET', `${API}/readyz`);
  expect(ready.status).toBe(200);
  expect(ready.body).toMatchObject({ ready: true });
});

describe('upload', () => {
  test('a YAML file creates the pipeline and its first version, named from pipelineInfo', async () => {
    const spec = tinySpec('upload-basic');
    const res = await h.upload(`${API}/pipelines/upload`, 'pipeline.yaml', YAML.stringify(spec));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'upload-basic', display_name: 'upload-basic', description: '', namespace: '' });
    expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    const versions = await h.call('GET', `${API}/pipelines/${res.body.pipeline_id}/versions`);
    expect(versions.body.total_size).toBe(1);
    const [version] = versions.body.pipeline_versions;
    expect(version).toMatchObject({ pipeline_id: res.body.pipeline_id, name: 'upload-basic' });
    expect(version.pipeline_spec).toEqual(spec);
  });

  test('query parameters name and describe the pipeline', async () => {
    const res = await h.upload(`${API}/pipelines/upload?name=named-by-query&description=hello&display_name=Shown`, 'x.yml', YAML.stringify(tinySpec('p')));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'named-by-query', display_name: 'Shown', description: 'hello' });
  });

  test('a JSON file is accepted, and a platform spec comes back in KFP\'s wrapped form', async () => {
    const spec = tinySpec('with-platform');
    const platform = { platforms: { kubernetes: { deploymentSpec: { executors: {} } } } };
    const yaml = `${YAML.stringify(spec)}---\n${YAML.stringify(platform)}`;
    const res = await h.upload(`${API}/pipelines/upload`, 'p.yaml', yaml);
    expect(res.status).toBe(200);
    const versions = await h.call('GET', `${API}/pipelines/${res.body.pipeline_id}/versions`);
    expect(versions.body.pipeline_versions[0].pipeline_spec).toEqual({ pipeline_spec: spec, platform_spec: platform });

    const json = await h.upload(`${API}/pipelines/upload`, 'p.json', JSON.stringify(tinySpec('from-json')));
    expect(json.status).toBe(200);
    expect(json.body.name).toBe('from-json');
  });

  test('a second pipeline of the same name is a 409 naming it', async () => {
    await h.upload(`${API}/pipelines/upload`, 'a.yaml', YAML.stringify(tinySpec('twice')));
    const res = await h.upload(`${API}/pipelines/upload`, 'a.yaml', YAML.stringify(tinySpec('twice')));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe(6);
    expect(res.body.error_message).toContain('twice');
  });

  test('each invalid file of the KFP corpus is a 400 that says what is wrong, and writes nothing', async () => {
    if (!existsSync(INVALID_CORPUS)) {
      saySkipped(`the KFP invalid corpus: ${INVALID_CORPUS} does not exist`);
      return;
    }
    const files = readdirSync(INVALID_CORPUS);
    expect(files.length).toBeGreaterThan(0);
    const before = await pipelineCount();
    for (const file of files) {
      const res = await h.upload(`${API}/pipelines/upload`, file, readFileSync(join(INVALID_CORPUS, file)));
      expect({ file, status: res.status }).toEqual({ file, status: 400 });
      expect(res.body).toMatchObject({ code: 3, error_message: expect.stringContaining('uploadfile'), message: res.body.error_message });
      expect(res.body.details[0].field_violations.length).toBeGreaterThan(0);
    }
    expect(await pipelineCount()).toBe(before);
  });

  test.each([
    ['archive.zip', 'PK\u0003\u0004rest', /"archive.zip" is not a pipeline file/],
    ['package.tar.gz', 'whatever', /"package.tar.gz" is not a pipeline file/],
    ['image.png', '\u0089PNG', /"image.png" is not a pipeline file/],
    ['empty.yaml', '', /file is empty/],
    ['broken.yaml', 'a: [1, 2\nb: }', /YAML syntax error/],
    ['list.yaml', '- 1\n- 2\n', /not a mapping/],
    ['binary.yaml', Buffer.from([0xff, 0xfe, 0x00, 0x01]), /not UTF-8 text/],
    ['no-name.yaml', YAML.stringify({ ...tinySpec('x'), pipelineInfo: {} }), /uploadfile\.pipelineInfo\.name: required/],
    ['bad-ref.yaml', YAML.stringify({ ...tinySpec('x'), components: {} }), /uploadfile\.root\.dag\.tasks\.echo/],
  ])('%s is refused with a message naming the problem', async (file, content, message) => {
    const before = await pipelineCount();
    const res = await h.upload(`${API}/pipelines/upload`, file, content);
    expect(res.status).toBe(400);
    expect(res.body.error_message).toMatch(message);
    expect(await pipelineCount()).toBe(before);
  });

  test('a request without the uploadfile field is a 400 naming the field', async () => {
    const missing = await h.call('POST', `${API}/pipelines/upload`);
    expect(missing.status).toBe(400);
    expect(missing.body.error_message).toMatch(/^uploadfile: required/);

    const form = new FormData();
    form.append('file', new Blob(['x']), 'p.yaml');
    const wrongField = await h.fetch(`${API}/pipelines/upload`, { method: 'POST', body: form });
    expect(wrongField.status).toBe(400);
    expect(((await wrongField.json()) as { error_message: string }).error_message).toMatch(/"uploadfile"/);
  });

  test('upload_version adds a version to a pipeline; pipelineid is required and must exist', async () => {
    const created = await h.upload(`${API}/pipelines/upload`, 'p.yaml', YAML.stringify(tinySpec('versioned')));
    const id = created.body.pipeline_id;
    const v2 = await h.upload(`${API}/pipelines/upload_version?pipelineid=${id}&name=v2`, 'p.yaml', YAML.stringify(tinySpec('versioned')));
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ pipeline_id: id, name: 'v2', display_name: 'v2' });
    const unnamed = await h.upload(`${API}/pipelines/upload_version?pipelineid=${id}`, 'p.yaml', YAML.stringify(tinySpec('versioned')));
    expect(unnamed.status).toBe(200);
    expect(unnamed.body.name).toMatch(/^versioned \d{4}-/);

    const noId = await h.upload(`${API}/pipelines/upload_version?name=v3`, 'p.yaml', YAML.stringify(tinySpec('versioned')));
    expect(noId.status).toBe(400);
    expect(noId.body.error_message).toBe('pipelineid: required');
    const unknown = await h.upload(`${API}/pipelines/upload_version?pipelineid=nope`, 'p.yaml', YAML.stringify(tinySpec('versioned')));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_message).toBe('pipelineid: pipeline "nope" not found');
  });
});

describe('pipelines and versions over JSON', () => {
  test('create a pipeline, add versions, read, list and delete them', async () => {
    const p = await h.call('POST', `${API}/pipelines`, { display_name: 'json-pipeline', description: 'd' });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ name: 'json-pipeline', display_name: 'json-pipeline', description: 'd' });
    const id = p.body.pipeline_id;

    expect((await h.call('GET', `${API}/pipelines/${id}`)).body).toEqual(p.body);
    expect((await h.call('GET', `${API}/pipelines/names/json-pipeline`)).body).toEqual(p.body);

    const spec = tinySpec('json-pipeline');
    const v1 = await h.call('POST', `${API}/pipelines/${id}/versions`, { name: 'v1', pipeline_spec: spec });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ pipeline_id: id, name: 'v1', pipeline_spec: spec });
    const got = await h.call('GET', `${API}/pipelines/${id}/versions/${v1.body.pipeline_version_id}`);
    expect(got.body).toEqual(v1.body);

    const badSpec = await h.call('POST', `${API}/pipelines/${id}/versions`, { name: 'bad', pipeline_spec: { pipelineInfo: { name: 'x' } } });
    expect(badSpec.status).toBe(400);
    expect(badSpec.body.error_message).toMatch(/^invalid pipeline spec: pipeline_spec\./);
    const byUrl = await h.call('POST', `${API}/pipelines/${id}/versions`, { name: 'u', package_url: { pipeline_url: 'https://x/p.yaml' } });
    expect(byUrl.status).toBe(400);
    expect(byUrl.body.error_message).toMatch(/^package_url: fetching a pipeline from a URL is not supported/);

    const refused = await h.call('DELETE', `${API}/pipelines/${id}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 9, error_message: expect.stringMatching(/has 1 version\(s\).*cascade=true/) });

    expect((await h.call('DELETE', `${API}/pipelines/${id}/versions/${v1.body.pipeline_version_id}`)).status).toBe(200);
    expect((await h.call('GET', `${API}/pipelines/${id}/versions/${v1.body.pipeline_version_id}`)).status).toBe(404);
    expect((await h.call('DELETE', `${API}/pipelines/${id}`)).status).toBe(200);
    expect((await h.call('GET', `${API}/pipelines/${id}`)).status).toBe(404);
  });

  test('create pipeline and version in one call; cascade delete removes both', async () => {
    const spec = tinySpec('created-together');
    const res = await h.call('POST', `${API}/pipelines/create`, {
      pipeline: { name: 'created-together' },
      pipeline_version: { name: 'first', pipeline_spec: spec },
    });
    expect(res.status).toBe(200);
    const id = res.body.pipeline_id;
    const versions = (await h.call('GET', `${API}/pipelines/${id}/versions`)).body;
    expect(versions.pipeline_versions.map((v: { name: string }) => v.name)).toEqual(['first']);

    const before = await pipelineCount();
    const invalid = await h.call('POST', `${API}/pipelines/create`, {
      pipeline: { name: 'half-written' },
      pipeline_version: { pipeline_spec: { ...spec, deploymentSpec: { executors: {} } } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error_message).toContain('pipeline_version.pipeline_spec.');
    expect(await pipelineCount()).toBe(before);

    expect((await h.call('DELETE', `${API}/pipelines/${id}?cascade=true`)).status).toBe(200);
    expect((await h.call('GET', `${API}/pipelines/${id}/versions/${versions.pipeline_versions[0].pipeline_version_id}`)).status).toBe(404);
  });

  test('bad bodies are 400s naming the field', async () => {
    const noName = await h.call('POST', `${API}/pipelines`, { description: 'x' });
    expect(noName.status).toBe(400);
    expect(noName.body.error_message).toBe('display_name: required (or name)');
    expect(noName.body.details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field: 'display_name', description: 'required (or name)' }] },
    ]);

    const res = await h.fetch(`${API}/pipelines`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_message: string }).error_message).toMatch(/^request body: /);
  });

  test('unknown ids and names are 404s naming them', async () => {
    expect((await h.call('GET', `${API}/pipelines/missing`)).body.error_message).toBe('pipeline "missing" not found');
    expect((await h.call('GET', `${API}/pipelines/names/missing`)).status).toBe(404);
    expect((await h.call('GET', `${API}/pipelines/missing/versions`)).status).toBe(404);
    expect((await h.call('DELETE', `${API}/pipelines/missing`)).status).toBe(404);
  });
});

describe('listing pipelines', () => {
  beforeAll(async () => {
    for (const n of ['list-a', 'list-b', 'list-c', 'list-d', 'list-e']) {
      await h.call('POST', `${API}/pipelines`, { name: n, display_name: `Shown ${n}` });
    }
  });

  test('pages follow next_page_token to the end, in the requested order', async () => {
    const names: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const res = await h.call('GET', `${API}/pipelines?page_size=2&sort_by=name%20desc&page_token=${token}`);
      expect(res.status).toBe(200);
      names.push(...res.body.pipelines.map((p: { name: string }) => p.name));
      token = res.body.next_page_token ?? '';
      pages++;
    } while (token);
    const all = (await h.call('GET', `${API}/pipelines?page_size=1000`)).body;
    expect(names).toHaveLength(all.total_size);
    expect(pages).toBe(Math.ceil(all.total_size / 2));
    expect(names).toEqual([...names].sort().reverse());
  });

  test('filter on name and display_name, as kfp.Client sends it', async () => {
    const kfpStyle = encodeURIComponent(JSON.stringify({ predicates: [{ operation: 1, key: 'display_name', stringValue: 'Shown list-c' }] }));
    const res = await h.call('GET', `${API}/pipelines?filter=${kfpStyle}`);
    expect(res.status).toBe(200);
    expect(res.body.pipelines.map((p: { name: string }) => p.name)).toEqual(['list-c']);
    expect(res.body.total_size).toBe(1);

    const inFilter = encodeURIComponent(JSON.stringify({ predicates: [{ key: 'name', operation: 'IN', string_values: { values: ['list-a', 'list-e'] } }] }));
    const both = await h.call('GET', `${API}/pipelines?filter=${inFilter}&sort_by=name`);
    expect(both.body.pipelines.map((p: { name: string }) => p.name)).toEqual(['list-a', 'list-e']);
  });

  test('bad list parameters are 400s naming them', async () => {
    const badSort = await h.call('GET', `${API}/pipelines?sort_by=colour`);
    expect(badSort.status).toBe(400);
    expect(badSort.body.error_message).toMatch(/^sort_by: cannot sort pipelines by "colour"/);

    const badToken = await h.call('GET', `${API}/pipelines?page_token=garbage`);
    expect(badToken.status).toBe(400);
    expect(badToken.body.error_message).toMatch(/^page_token: /);

    const badSize = await h.call('GET', `${API}/pipelines?page_size=abc`);
    expect(badSize.status).toBe(400);
    expect(badSize.body.error_message).toMatch(/^page_size: /);

    const badKey = await h.call('GET', `${API}/pipelines?filter=${encodeURIComponent('{"predicates":[{"key":"colour","operation":"EQUALS","string_value":"x"}]}')}`);
    expect(badKey.status).toBe(400);
    expect(badKey.body.error_message).toBe('filter.predicates.0.key: cannot filter on "colour"; supported keys: pipeline_id, name, display_name, description, created_at');

    const notJson = await h.call('GET', `${API}/pipelines?filter=nope`);
    expect(notJson.status).toBe(400);
    expect(notJson.body.error_message).toMatch(/^filter: not valid JSON/);
  });
});

test('an unknown route is a 404 in KFP\'s error shape', async () => {
  const res = await h.call('GET', `${API}/nothing-here`);
  expect(res.status).toBe(404);
  expect(res.body).toEqual({
    error_message: `route "GET ${API}/nothing-here" not found`,
    code: 5,
    message: `route "GET ${API}/nothing-here" not found`,
    details: [],
  });
});
