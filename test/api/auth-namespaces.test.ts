import type { PipelineSpec } from '../../ir/types';
import { artifactIdFor } from '../../store/ids';
import { launch } from '../store/fixtures';
import { API, startApiHarness, tinySpec, type ApiHarness } from './harness';

/**
 * KFP's multi-user model: experiments, runs and pipelines belong to a namespace, a run to its
 * experiment's. A token bound to `team-a` sees and changes only `team-a`'s, reads shared
 * pipelines (namespace `''`) but cannot change them, and gets 403 naming the namespace otherwise.
 */
let h: ApiHarness;
let teamA: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await startApiHarness('api_auth_namespaces');
  teamA = (await h.tokens.create({ name: 'team-a ci', scope: 'write', namespaces: ['team-a'] })).token;
  for (const ns of ['team-a', 'team-b']) {
    const exp = await h.call('POST', `${API}/experiments`, { display_name: `exp ${ns}`, namespace: ns });
    expect(exp.status).toBe(200);
    ids[`exp-${ns}`] = exp.body.experiment_id;
    const run = await h.call('POST', `${API}/runs`, { display_name: `run ${ns}`, experiment_id: exp.body.experiment_id, pipeline_spec: tinySpec(`p-${ns}`) });
    expect(run.status).toBe(200);
    ids[`run-${ns}`] = run.body.run_id;
    // Paused and yearly: its schedule starts nothing while the tests run.
    const recurring = await h.call('POST', `${API}/recurringruns`, {
      display_name: `recurring ${ns}`,
      experiment_id: exp.body.experiment_id,
      pipeline_spec: tinySpec(`r-${ns}`),
      trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } },
      mode: 'DISABLE',
    });
    expect([recurring.status, recurring.body.namespace]).toEqual([200, ns]);
    ids[`recurring-${ns}`] = recurring.body.recurring_run_id;
  }
  // An artifact team-b's run made, as the worker records one.
  const uri = `/artifacts/${ids['run-team-b']}/echo/dataset`;
  const base = launch(ids['run-team-b'], 'root/echo');
  await h.store.recordLaunch({
    ...base,
    task: { ...base.task, state: 'SUCCEEDED' },
    attempt: { attempt: 1, state: 'SUCCEEDED', exitCode: 0 },
    outputArtifacts: { dataset: [{ name: 'dataset', uri, schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: {} }] },
  });
  ids['artifact-team-b'] = artifactIdFor(uri);
  expect((await h.call('GET', `${API}/artifacts/${ids['artifact-team-b']}`)).status).toBe(200);
  const shared = await h.call('POST', `${API}/pipelines/create`, { pipeline: { name: 'shared-pipeline' }, pipeline_version: { name: 'v1', pipeline_spec: tinySpec('shared') } });
  expect(shared.body.namespace).toBe('');
  ids['pipeline-shared'] = shared.body.pipeline_id;
  const b = await h.call('POST', `${API}/pipelines/create`, { pipeline: { name: 'b-pipeline', namespace: 'team-b' }, pipeline_version: { name: 'v1', pipeline_spec: tinySpec('b') } });
  ids['pipeline-team-b'] = b.body.pipeline_id;
});

afterAll(async () => {
  await h?.close();
});

const asA = (method: string, path: string, body?: unknown) => h.call(method, path, body, { token: teamA });

test('lists show only the namespaces the token reaches; asking for another is 403', async () => {
  const experiments = await asA('GET', `${API}/experiments`);
  expect(experiments.body.experiments.map((e: { namespace: string }) => e.namespace)).toEqual(['team-a']);
  const runs = await asA('GET', `${API}/runs`);
  expect(runs.body.runs.map((r: { run_id: string }) => r.run_id)).toEqual([ids['run-team-a']]);
  const pipelines = await asA('GET', `${API}/pipelines`);
  expect(pipelines.body.pipelines.map((p: { name: string }) => p.name)).toEqual(['shared-pipeline']);

  const other = await asA('GET', `${API}/runs?namespace=team-b`);
  expect(other.status).toBe(403);
  expect(other.body.error_message).toMatch(/^token "team-a ci" \([0-9a-f]{16}\) cannot access namespace "team-b"$/);
  expect((await asA('GET', `${API}/experiments?namespace=team-a`)).body.experiments).toHaveLength(1);
  // The all-namespace admin sees both.
  expect((await h.call('GET', `${API}/runs`)).body.runs).toHaveLength(2);

  const recurring = await asA('GET', `${API}/recurringruns`);
  expect(recurring.body.recurringRuns.map((r: { recurring_run_id: string }) => r.recurring_run_id)).toEqual([ids['recurring-team-a']]);
  expect((await asA('GET', `${API}/recurringruns?namespace=team-b`)).status).toBe(403);
  expect((await h.call('GET', `${API}/recurringruns`)).body.recurringRuns).toHaveLength(2);
});

test.each([
  ['GET', 'experiments/{exp-team-b}'],
  ['DELETE', 'experiments/{exp-team-b}'],
  ['POST', 'experiments/{exp-team-b}:archive'],
  ['GET', 'runs/{run-team-b}'],
  ['GET', 'runs/{run-team-b}/tasks'],
  ['GET', 'runs/{run-team-b}/tasks/echo/logs'],
  ['GET', 'runs/{run-team-b}/artifacts'],
  ['GET', 'artifacts/{artifact-team-b}'],
  ['POST', 'runs/{run-team-b}:terminate'],
  ['POST', 'runs/{run-team-b}:retry'],
  ['POST', 'runs/{run-team-b}:archive'],
  ['DELETE', 'runs/{run-team-b}'],
  ['GET', 'pipelines/{pipeline-team-b}'],
  ['GET', 'pipelines/{pipeline-team-b}/versions'],
  ['DELETE', 'pipelines/{pipeline-shared}'],
  ['POST', 'pipelines/{pipeline-shared}/versions'],
  ['GET', 'recurringruns/{recurring-team-b}'],
  ['DELETE', 'recurringruns/{recurring-team-b}'],
  ['POST', 'recurringruns/{recurring-team-b}:enable'],
  ['POST', 'recurringruns/{recurring-team-b}:disable'],
  ['POST', 'recurringruns/{recurring-team-b}:trigger'],
  ['POST', 'recurringruns/{recurring-team-b}:backfill'],
])("%s %s of another namespace is 403 naming it", async (method, template) => {
  const path = template.replace(/\{([^}]+)\}/, (_m, key: string) => ids[key]);
  const res = await asA(method, `${API}/${path}`, method === 'GET' || method === 'DELETE' ? undefined : {});
  expect(res.status).toBe(403);
  expect(res.body.error_message).toMatch(/^(experiment|run|pipeline|artifact|recurring run) "[^"]+" is in namespace "(team-b|)", which token "team-a ci" \([0-9a-f]{16}\) cannot access$/);
});

test("creating lands in the token's namespace and never in another's", async () => {
  const mine = await asA('POST', `${API}/experiments`, { display_name: 'made by a' });
  expect(mine.status).toBe(200);
  expect(mine.body.namespace).toBe('team-a');
  const intoB = await asA('POST', `${API}/experiments`, { display_name: 'into b', namespace: 'team-b' });
  expect(intoB.status).toBe(403);
  expect(intoB.body.error_message).toMatch(/cannot access namespace "team-b"$/);
  expect((await asA('POST', `${API}/pipelines`, { name: 'into b', namespace: 'team-b' })).status).toBe(403);
  expect((await asA('POST', `${API}/pipelines`, { name: 'a-pipeline' })).body.namespace).toBe('team-a');

  const spec = tinySpec('a-run');
  expect((await asA('POST', `${API}/runs`, { display_name: 'into b', experiment_id: ids['exp-team-b'], pipeline_spec: spec })).status).toBe(403);
  // No experiment means the Default one, in the shared namespace this token does not reach.
  const defaulted = await asA('POST', `${API}/runs`, { display_name: 'no experiment', pipeline_spec: spec });
  expect(defaulted.status).toBe(403);
  expect(defaulted.body.error_message).toMatch(/^experiment "[^"]+" is in namespace ""/);
  // A shared pipeline may be run in the token's own experiment; another namespace's may not.
  const fromShared = await asA('POST', `${API}/runs`, { display_name: 'a run', experiment_id: ids['exp-team-a'], pipeline_version_reference: { pipeline_id: ids['pipeline-shared'] } });
  expect(fromShared.status).toBe(200);
  const fromB = await asA('POST', `${API}/runs`, { display_name: 'b run', experiment_id: ids['exp-team-a'], pipeline_version_reference: { pipeline_id: ids['pipeline-team-b'] } });
  expect(fromB.status).toBe(403);
  expect(fromB.body.error_message).toMatch(/^pipeline "[^"]+" is in namespace "team-b"/);
});

test("a recurring run lands in its experiment's namespace, which the caller must reach", async () => {
  const body = (extra: Record<string, unknown>) => ({
    display_name: 'recurring by a',
    pipeline_spec: tinySpec('r-by-a'),
    trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } },
    mode: 'DISABLE',
    ...extra,
  });
  const intoB = await asA('POST', `${API}/recurringruns`, body({ experiment_id: ids['exp-team-b'] }));
  expect(intoB.status).toBe(403);
  expect(intoB.body.error_message).toMatch(/^experiment "[^"]+" is in namespace "team-b"/);
  // No experiment means the Default one, in the shared namespace this token does not reach.
  expect((await asA('POST', `${API}/recurringruns`, body({}))).status).toBe(403);
  const fromB = await asA('POST', `${API}/recurringruns`, body({ experiment_id: ids['exp-team-a'], pipeline_version_reference: { pipeline_id: ids['pipeline-team-b'] }, pipeline_spec: undefined }));
  expect(fromB.status).toBe(403);
  // A namespace other than the experiment's is refused rather than ignored.
  const elsewhere = await asA('POST', `${API}/recurringruns`, body({ experiment_id: ids['exp-team-a'], namespace: 'team-b' }));
  expect(elsewhere.status).toBe(400);
  expect(elsewhere.body.details[0].field_violations[0].field).toBe('namespace');
  const before = (await h.store.listRecurringRuns({}, {})).totalSize;

  const mine = await asA('POST', `${API}/recurringruns`, body({ experiment_id: ids['exp-team-a'] }));
  expect(mine.status).toBe(200);
  expect(mine.body.namespace).toBe('team-a');
  expect((await h.store.listRecurringRuns({}, {})).totalSize).toBe(before + 1);
  expect((await asA('GET', `${API}/recurringruns/${mine.body.recurring_run_id}`)).status).toBe(200);
  expect((await asA('DELETE', `${API}/recurringruns/${mine.body.recurring_run_id}`)).status).toBe(200);
});

test('a shared pipeline is readable by every namespace; lookups by name check the namespace', async () => {
  expect((await asA('GET', `${API}/pipelines/${ids['pipeline-shared']}`)).status).toBe(200);
  expect((await asA('GET', `${API}/pipelines/names/shared-pipeline`)).status).toBe(200);
  expect((await asA('GET', `${API}/pipelines/names/b-pipeline?namespace=team-b`)).status).toBe(403);
});

test("a run cannot take another namespace's artifact as input: to its caller it does not exist", async () => {
  const spec = tinySpec('reads-data') as unknown as PipelineSpec;
  const dataset = { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' };
  spec.components['comp-echo'].inputDefinitions = { artifacts: { data: { artifactType: dataset } } };
  spec.root.dag.tasks.echo.inputs = { artifacts: { data: { componentInputArtifact: 'data' } } };
  spec.root.inputDefinitions = { artifacts: { data: { artifactType: dataset } } };
  const body = (experimentId: string) => ({
    display_name: 'reads b',
    experiment_id: experimentId,
    pipeline_spec: spec,
    runtime_config: { input_artifacts: { data: { artifact_id: ids['artifact-team-b'] } } },
  });
  const refused = await asA('POST', `${API}/runs`, body(ids['exp-team-a']));
  expect(refused.status).toBe(400);
  expect(refused.body.error_message).toContain(ids['artifact-team-b']);
  // The same request from team-b's side is fine.
  expect((await h.call('POST', `${API}/runs`, body(ids['exp-team-b']))).status).toBe(200);
});
