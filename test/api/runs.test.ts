import { randomUUID } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { PIPELINE_RUN_WORKFLOW, SEARCH_ATTRIBUTES } from '../../config/constants';
import type { RunState } from '../../ir/states';
import type { PipelineSpec } from '../../ir/types';
import { artifactIdFor, taskIdFor } from '../../store/ids';
import type { LaunchRecord } from '../../store/types';
import { API, startApiHarness, tinySpec, type ApiHarness } from './harness';

let h: ApiHarness;
/** A pipeline with one required integer `n` and a defaulted string `msg`, and its two versions. */
let pipelineId: string;
let v1: string;
let v2: string;
const spec = tinySpec('counting', { n: { parameterType: 'NUMBER_INTEGER' }, msg: { parameterType: 'STRING', defaultValue: 'hi' } });

beforeAll(async () => {
  h = await startApiHarness('api_runs');
  const created = await h.call('POST', `${API}/pipelines/create`, {
    pipeline: { name: 'counting' },
    pipeline_version: { name: 'v1', pipeline_spec: spec },
  });
  pipelineId = created.body.pipeline_id;
  v1 = (await h.call('GET', `${API}/pipelines/${pipelineId}/versions`)).body.pipeline_versions[0].pipeline_version_id;
  const second = { ...spec, pipelineInfo: { name: 'counting', description: 'second' } };
  v2 = (await h.call('POST', `${API}/pipelines/${pipelineId}/versions`, { name: 'v2', pipeline_spec: second })).body.pipeline_version_id;
});

afterAll(async () => {
  await h?.close();
});

async function runCount(): Promise<number> {
  return (await h.store.listRuns({}, {})).totalSize;
}

/** A run written straight to the store, with no workflow: what a worker would have left behind. */
async function seedRun(opts: { state?: RunState; experimentId?: string; name?: string; spec?: PipelineSpec } = {}): Promise<string> {
  const runId = randomUUID();
  const experimentId = opts.experimentId ?? (await h.store.getDefaultExperiment()).experimentId;
  const now = new Date();
  await h.store.createRun({
    runId,
    displayName: opts.name ?? `seeded ${runId.slice(0, 8)}`,
    description: '',
    experimentId,
    spec: (opts.spec ?? spec) as PipelineSpec,
    parameters: { n: 1, msg: 'hi' },
    pipelineRoot: h.artifactRoot,
    state: 'PENDING',
    createdAt: now,
    scheduledAt: now,
  });
  if (opts.state && opts.state !== 'PENDING') await h.store.recordRunState(runId, { state: opts.state, at: new Date() });
  return runId;
}

describe('creating runs', () => {
  test('from a pipeline version: recorded PENDING, workflow started with the validated input', async () => {
    const res = await h.call('POST', `${API}/runs`, {
      display_name: 'from version',
      pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: v1 },
      runtime_config: { parameters: { n: 3 } },
    });
    expect(res.status).toBe(200);
    const defaultExperiment = await h.store.getDefaultExperiment();
    expect(res.body).toMatchObject({
      display_name: 'from version',
      experiment_id: defaultExperiment.experimentId,
      state: 'PENDING',
      storage_state: 'AVAILABLE',
      pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: v1 },
      runtime_config: { parameters: { n: 3, msg: 'hi' }, pipeline_root: h.artifactRoot },
      state_history: [{ state: 'PENDING', update_time: res.body.created_at }],
    });
    const runId = res.body.run_id;

    const description = await h.temporal.workflow.getHandle(runId).describe();
    expect(description.type).toBe(PIPELINE_RUN_WORKFLOW);
    expect(description.taskQueue).toBe(h.taskQueue);
    expect(description.status.name).toBe('RUNNING');
    const keyword = (name: string) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);
    expect(description.typedSearchAttributes.get(keyword(SEARCH_ATTRIBUTES.runId))).toBe(runId);
    expect(description.typedSearchAttributes.get(keyword(SEARCH_ATTRIBUTES.pipelineName))).toBe('counting');
    expect(description.typedSearchAttributes.get(keyword(SEARCH_ATTRIBUTES.experimentId))).toBe(defaultExperiment.experimentId);

    expect(await h.workflowInput(runId)).toEqual({
      runId,
      runName: 'from version',
      pipelineName: 'counting',
      experimentId: defaultExperiment.experimentId,
      pipelineId,
      pipelineVersionId: v1,
      spec,
      parameters: { n: 3, msg: 'hi' },
      inputArtifacts: {},
      pipelineRoot: h.artifactRoot,
      createdAt: res.body.created_at,
      parallelism: 4,
      heartbeatTimeoutSeconds: 15,
    });
  });

  test('without a version id the latest version runs; parameters typed as text are coerced', async () => {
    const res = await h.call('POST', `${API}/runs`, {
      display_name: 'latest',
      pipeline_version_reference: { pipeline_id: pipelineId },
      runtime_config: { parameters: { n: '7', msg: 'yo' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.pipeline_version_reference).toEqual({ pipeline_id: pipelineId, pipeline_version_id: v2 });
    const input = await h.workflowInput(res.body.run_id);
    expect(input.parameters).toEqual({ n: 7, msg: 'yo' });
    expect(input.spec.pipelineInfo.description).toBe('second');
  });

  test('from an inline spec, also PipelineJob-wrapped, in a named experiment with a pipeline root', async () => {
    const experiment = await h.call('POST', `${API}/experiments`, { display_name: 'inline runs' });
    const root = join(h.artifactRoot, 'elsewhere');
    const plain = await h.call('POST', `${API}/runs`, {
      display_name: 'inline',
      experiment_id: experiment.body.experiment_id,
      pipeline_spec: spec,
      runtime_config: { parameters: { n: 1 }, pipeline_root: root },
    });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ experiment_id: experiment.body.experiment_id, runtime_config: { pipeline_root: root } });
    expect(plain.body.pipeline_version_reference).toBeUndefined();
    expect((await h.workflowInput(plain.body.run_id)).pipelineRoot).toBe(root);

    const wrapped = await h.call('POST', `${API}/runs`, {
      display_name: 'wrapped',
      pipeline_spec: { pipeline_spec: spec, platform_spec: { platforms: {} } },
      runtime_config: { parameters: { n: 2 }, pipeline_root: `file://${root}` },
    });
    expect(wrapped.status).toBe(200);
    const input = await h.workflowInput(wrapped.body.run_id);
    expect(input.spec).toEqual(spec);
    expect(input.pipelineRoot).toBe(root);
    expect((await h.call('GET', `${API}/experiments/${experiment.body.experiment_id}`)).body.last_run_created_at).toBeDefined();
  });

  const ref = () => ({ pipeline_id: pipelineId, pipeline_version_id: v1 });
  test.each([
    ['an unknown parameter', () => ({ pipeline_version_reference: ref(), runtime_config: { parameters: { n: 1, zzz: 1 } } }), 400,
      'runtime_config.parameters.zzz: unknown parameter; the pipeline declares n, msg'],
    ['a wrongly typed parameter', () => ({ pipeline_version_reference: ref(), runtime_config: { parameters: { n: 'abc' } } }), 400,
      'runtime_config.parameters.n: expected an integer, got "abc"'],
    ['a missing required parameter', () => ({ pipeline_version_reference: ref(), runtime_config: { parameters: {} } }), 400,
      'runtime_config.parameters.n: required'],
    ['an unknown experiment', () => ({ pipeline_version_reference: ref(), experiment_id: 'no-such', runtime_config: { parameters: { n: 1 } } }), 404,
      'experiment_id: experiment "no-such" not found'],
    ['an invalid inline spec', () => ({ pipeline_spec: { ...spec, root: { dag: { tasks: {} } } }, runtime_config: { parameters: {} } }), 400,
      'pipeline_spec.root.dag.tasks'],
    ['an unknown pipeline version', () => ({ pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: 'nope' } }), 404,
      'pipeline_version_reference.pipeline_version_id: pipeline version "nope" not found'],
    ['an unknown pipeline', () => ({ pipeline_version_reference: { pipeline_id: 'nope' } }), 404,
      'pipeline_version_reference.pipeline_id: pipeline "nope" not found'],
    ['no pipeline at all', () => ({ display_name: 'x' }), 400, 'pipeline_version_reference: required (or pipeline_spec)'],
    ['both sources', () => ({ pipeline_version_reference: ref(), pipeline_spec: spec }), 400, 'pipeline_spec: give either'],
    ['a remote pipeline root', () => ({ pipeline_spec: spec, runtime_config: { parameters: { n: 1 }, pipeline_root: 'gs://bucket/root' } }), 400,
      'runtime_config.pipeline_root: the local artifact store needs an absolute directory'],
    ['a misspelt runtime_config field', () => ({ pipeline_spec: spec, runtime_config: { paramters: { n: 1 } } }), 400,
      'runtime_config.paramters: unknown field'],
    ['parameters that are not an object', () => ({ pipeline_spec: spec, runtime_config: { parameters: [1] } }), 400,
      'runtime_config.parameters: expected a JSON object of parameter values'],
    ['a Kubernetes-only feature on the local runner', () => ({
      pipeline_spec: { pipeline_spec: spec, platform_spec: { platforms: { kubernetes: { deploymentSpec: { executors: { 'exec-x': { pvcMount: [{ mountPath: '/data' }] } } } } } } },
      runtime_config: { parameters: { n: 1 } },
    }), 400, "pipeline_spec.platforms.kubernetes.deploymentSpec.executors.exec-x.pvcMount: Kubernetes feature 'pvcMount' is not supported yet by the local process runner"],
  ])('%s is refused naming the field, and writes nothing', async (_what, body, status, message) => {
    const before = await runCount();
    const res = await h.call('POST', `${API}/runs`, body());
    expect(res.status).toBe(status);
    expect(res.body.error_message).toContain(message);
    expect(await runCount()).toBe(before);
  });

  test('an archived experiment takes no new runs', async () => {
    const experiment = await h.call('POST', `${API}/experiments`, { display_name: 'shelved' });
    await h.call('POST', `${API}/experiments/${experiment.body.experiment_id}:archive`);
    const res = await h.call('POST', `${API}/runs`, { experiment_id: experiment.body.experiment_id, pipeline_spec: spec, runtime_config: { parameters: { n: 1 } } });
    expect(res.status).toBe(400);
    expect(res.body.error_message).toMatch(/^experiment_id: experiment ".*" is archived/);
  });

  test('when the workflow cannot start, the run is recorded FAILED with the reason', async () => {
    const broken = await startApiHarness('api_runs_no_namespace', { namespace: `missing-${randomUUID()}` });
    try {
      const res = await broken.call('POST', `${API}/runs`, { display_name: 'doomed', pipeline_spec: spec, runtime_config: { parameters: { n: 1 } } });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe(14);
      expect(res.body.error_message).toMatch(/^run ".*" was recorded as FAILED: could not start the run's workflow: /);
      const [run] = (await broken.store.listRuns({}, {})).items;
      expect(run).toMatchObject({ displayName: 'doomed', state: 'FAILED', error: { type: 'WorkflowStartFailed' } });
      expect(run.error?.message).toMatch(/could not start the run's workflow/);
    } finally {
      await broken.close();
    }
  });
});

describe('runs given input artifacts (runtime_config.input_artifacts)', () => {
  /** A pipeline `def p(data: Input[Dataset], extra: Input[Artifact] = None)` whose step reads `data`. */
  const withInputs = (() => {
    const s = tinySpec('reads-data') as unknown as PipelineSpec;
    const dataset = { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' };
    s.components['comp-echo'].inputDefinitions = { artifacts: { data: { artifactType: dataset } } };
    s.root.dag.tasks.echo.inputs = { artifacts: { data: { componentInputArtifact: 'data' } } };
    s.root.inputDefinitions = {
      artifacts: { data: { artifactType: dataset }, extra: { artifactType: { schemaTitle: 'system.Artifact', schemaVersion: '0.0.1' }, isOptional: true } },
    };
    return s;
  })();
  let datasetId: string;
  let modelId: string;
  let dataset: { name: string; uri: string; schemaTitle: string; schemaVersion: string; metadata: Record<string, string> };

  beforeAll(async () => {
    const runId = await seedRun();
    dataset = { name: 'data', uri: join(h.artifactRoot, runId, 'make', 'data'), schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: { rows: '3' } };
    const model = { ...dataset, name: 'model', uri: join(h.artifactRoot, runId, 'make', 'model'), schemaTitle: 'system.Model' };
    await h.store.recordLaunch(launchOf(runId, 'root/make', new Date(), { task: { state: 'SUCCEEDED' }, attempt: { attempt: 1, state: 'SUCCEEDED' }, outputArtifacts: { data: [dataset], model: [model] } }));
    datasetId = artifactIdFor(dataset.uri);
    modelId = artifactIdFor(model.uri);
  });

  test('an artifact the store knows, by id: checked, passed to the workflow, recorded and shown as given', async () => {
    const res = await h.call('POST', `${API}/runs`, { pipeline_spec: withInputs, runtime_config: { input_artifacts: { data: { artifact_id: datasetId } } } });
    expect(res.status).toBe(200);
    expect(res.body.runtime_config).toEqual({ parameters: {}, input_artifacts: { data: { artifact_id: datasetId } }, pipeline_root: h.artifactRoot });
    expect((await h.workflowInput(res.body.run_id)).inputArtifacts).toEqual({ data: [dataset] });
    const read = await h.call('GET', `${API}/runs/${res.body.run_id}`);
    expect(read.body.runtime_config.input_artifacts).toEqual({ data: { artifact_id: datasetId } });
    const [newest] = (await h.call('GET', `${API}/runs?page_size=1&sort_by=created_at%20desc`)).body.runs;
    expect(newest).toMatchObject({ run_id: res.body.run_id, runtime_config: { input_artifacts: { data: { artifact_id: datasetId } } } });
    // A run without input artifacts shows none.
    expect((await h.call('GET', `${API}/runs/${await seedRun()}`)).body.runtime_config.input_artifacts).toBeUndefined();
  });

  const at = (name: string) => `runtime_config.input_artifacts['${name}']`;
  test.each<[string, () => Record<string, unknown> | unknown, string]>([
    ['a missing required input artifact', () => ({}), `${at('data')}: required (system.Dataset, not optional)`],
    ['an artifact id the store does not know', () => ({ data: { artifact_id: 'no-such-artifact' } }), `${at('data')}: artifact "no-such-artifact" does not exist`],
    ['an artifact of another type', () => ({ data: { artifact_id: modelId } }), 'is a system.Model, but the input takes a system.Dataset'],
    ['a name the pipeline does not declare', () => ({ data: { artifact_id: datasetId }, dataset: { artifact_id: datasetId } }), `${at('dataset')}: unknown input artifact; the pipeline declares data, extra`],
    ['a URI where an id belongs', () => ({ data: { uri: '/some/file' } }), `${at('data')}: expected {"artifact_id": "<id>"}`],
    ['input artifacts that are not an object', () => [datasetId], 'runtime_config.input_artifacts: expected a JSON object of input artifacts by name'],
  ])('%s is a 400 naming the field, and writes nothing', async (_what, given, message) => {
    const before = await runCount();
    const res = await h.call('POST', `${API}/runs`, { pipeline_spec: withInputs, runtime_config: { input_artifacts: given() } });
    expect(res.status).toBe(400);
    expect(res.body.error_message).toContain(message);
    expect(await runCount()).toBe(before);
  });
});

/** A launch record of container task `taskPath` of `runId`, for seeding what a worker would have written. */
function launchOf(runId: string, taskPath: string, at: Date, patch: Partial<Omit<LaunchRecord, 'runId' | 'at' | 'task'>> & { task?: Partial<LaunchRecord['task']> } = {}): LaunchRecord {
  const displayName = taskPath.slice(taskPath.lastIndexOf('/') + 1);
  return {
    runId,
    at,
    attempt: { attempt: 1, state: 'RUNNING' },
    ...patch,
    task: { taskPath, displayName, kind: 'CONTAINER', componentName: 'comp-echo', state: 'RUNNING', ...patch.task },
  };
}

/** Median of `n` timed calls of `request`, in milliseconds, and the last response. */
async function timed<T>(n: number, request: () => Promise<T>): Promise<{ median: number; last: T }> {
  const times: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    last = await request();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(n / 2)], last: last as T };
}

describe('reading a run', () => {
  test('task details come from the store, in KFP\'s shape with Sluice\'s parameters beside them', async () => {
    const twoSteps = tinySpec('two-steps') as unknown as PipelineSpec;
    twoSteps.root.dag.tasks.after = { taskInfo: { name: 'after' }, componentRef: { name: 'comp-echo' }, dependentTasks: ['echo'] };
    const created = await h.call('POST', `${API}/runs`, { display_name: 'details', pipeline_spec: twoSteps });
    expect(created.status).toBe(200);
    const runId = created.body.run_id;
    const t0 = new Date(Date.now() - 60_000);
    const t1 = new Date(t0.getTime() + 10_000);
    const t2 = new Date(t0.getTime() + 20_000);
    const outUri = join(h.artifactRoot, runId, 'echo', 'outputs', 'data');
    const data = { name: 'data', uri: outUri, schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: {} };
    const echo = 'root/echo';
    await h.store.recordLaunch(launchOf(runId, echo, t0, { task: { inputParameters: { x: 1 } }, attempt: { attempt: 1, state: 'RUNNING', podName: 'echo-pod-1', logUri: '/tmp/1.log' } }));
    await h.store.recordLaunch(launchOf(runId, echo, t1, { task: { error: { message: 'exit 1' } }, attempt: { attempt: 1, state: 'FAILED', error: { message: 'exit 1' } } }));
    const resources = { cpuLimit: '500m', memoryLimit: '1G', accelerator: { type: 'nvidia.com/gpu', count: 1 } };
    await h.store.recordLaunch(launchOf(runId, echo, t1, { attempt: { attempt: 2, state: 'RUNNING', podName: 'echo-pod-2', logUri: '/tmp/2.log', resources } }));
    await h.store.recordLaunch(
      launchOf(runId, echo, t2, {
        task: { state: 'SUCCEEDED', outputParameters: { y: 'two' } },
        attempt: { attempt: 2, state: 'SUCCEEDED', exitCode: 0 },
        outputArtifacts: { data: [data] },
      }),
    );
    await h.store.recordTaskTransitions(runId, [
      { taskPath: 'root/after', displayName: 'after', kind: 'CONTAINER', componentName: 'comp-echo', state: 'SKIPPED', reason: 'NOT_TRIGGERED', at: t2.toISOString() },
    ]);
    const artifactId = artifactIdFor(outUri);

    const res = await h.call('GET', `${API}/runs/${runId}`);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('PENDING');
    expect(res.body.pipeline_spec).toEqual(JSON.parse(JSON.stringify(twoSteps)));
    expect(res.body.run_details).toMatchObject({ task_count: 2, task_state_counts: { SUCCEEDED: 1, SKIPPED: 1 } });
    expect(res.body.run_details.task_details_next_page_token).toBeUndefined();
    const [after, detail] = res.body.run_details.task_details;
    expect(detail).toEqual({
      run_id: runId,
      task_id: taskIdFor(runId, echo),
      display_name: 'echo',
      task_path: echo,
      kind: 'CONTAINER',
      create_time: t0.toISOString(),
      start_time: t0.toISOString(),
      end_time: t2.toISOString(),
      state: 'SUCCEEDED',
      pod_name: 'echo-pod-2',
      executor_detail: { main_job: 'echo-pod-2', failed_main_jobs: ['echo-pod-1'] },
      state_history: [
        { state: 'PENDING', update_time: t0.toISOString() },
        { state: 'RUNNING', update_time: t0.toISOString() },
        { state: 'FAILED', update_time: t1.toISOString(), error: { code: 2, message: 'exit 1', details: [] } },
        { state: 'RUNNING', update_time: t1.toISOString() },
        { state: 'SUCCEEDED', update_time: t2.toISOString() },
      ],
      child_tasks: [],
      child_task_count: 0,
      inputs: {},
      outputs: { data: { artifact_ids: [artifactId] } },
      input_parameters: { x: 1 },
      output_parameters: { y: 'two' },
      attempts: 2,
      resources: { cpu_limit: '500m', memory_limit: '1G', accelerator: { type: 'nvidia.com/gpu', count: 1 } },
    });
    // A task whose condition was false is SKIPPED with the reason.
    expect(after).toMatchObject({ display_name: 'after', state: 'SKIPPED', state_reason: 'NOT_TRIGGERED', attempts: 0 });

    const artifacts = await h.call('GET', `${API}/runs/${runId}/artifacts`);
    expect(artifacts.body.artifacts).toHaveLength(1);
    expect(artifacts.body.artifacts[0]).toMatchObject({ artifact_id: artifactId, uri: outUri, producer_task_path: echo, schema_title: 'system.Dataset' });
    const one = await h.call('GET', `${API}/artifacts/${artifactId}`);
    expect(one.body.lineage).toEqual([{ task_path: echo, direction: 'OUTPUT', key: 'data' }]);
    expect((await h.call('GET', `${API}/artifacts/nope`)).status).toBe(404);
    expect((await h.call('GET', `${API}/runs/nope/artifacts`)).status).toBe(404);
  });

  test('the task tree: parent and child ids, as KFP reports them', async () => {
    const runId = await seedRun({ state: 'RUNNING' });
    const at = new Date().toISOString();
    const loop = 'root/for-loop-2';
    await h.store.recordTaskTransitions(runId, [
      { taskPath: loop, displayName: 'for-loop-2', kind: 'LOOP', componentName: 'comp-for-loop-2', state: 'RUNNING', at },
      ...[0, 1].map((i) => ({ taskPath: `${loop}[${i}]`, displayName: `for-loop-2[${i}]`, parentTaskPath: loop, kind: 'ITERATION' as const, iterationIndex: i, componentName: 'comp-for-loop-2', state: 'RUNNING' as const, at })),
    ]);
    await h.store.recordLaunch(launchOf(runId, `${loop}[1]/train`, new Date(), { task: { parentTaskPath: `${loop}[1]` }, attempt: { attempt: 1, state: 'RUNNING', podName: 'train-pod' } }));

    const res = await h.call('GET', `${API}/runs/${runId}`);
    const byPath = new Map(res.body.run_details.task_details.map((t: { task_path: string }) => [t.task_path, t]));
    expect([...byPath.keys()]).toEqual([loop, `${loop}[0]`, `${loop}[1]`, `${loop}[1]/train`]);
    expect(byPath.get(loop)).toMatchObject({
      kind: 'LOOP',
      child_task_count: 2,
      child_tasks: [{ task_id: taskIdFor(runId, `${loop}[0]`) }, { task_id: taskIdFor(runId, `${loop}[1]`) }],
    });
    expect(byPath.get(loop)).not.toHaveProperty('parent_task_id');
    expect(byPath.get(`${loop}[1]`)).toMatchObject({
      display_name: 'for-loop-2[1]',
      kind: 'ITERATION',
      iteration_index: 1,
      parent_task_id: taskIdFor(runId, loop),
      child_tasks: [{ task_id: taskIdFor(runId, `${loop}[1]/train`), pod_name: 'train-pod' }],
    });
    expect(byPath.get(`${loop}[1]/train`)).toMatchObject({ display_name: 'train', parent_task_id: taskIdFor(runId, `${loop}[1]`) });
  });

  test('a huge run is summarised: the top of its tree, 100 children per parent, counts by state; then pages and children by parent', async () => {
    const runId = await seedRun({ state: 'RUNNING' });
    const at = new Date().toISOString();
    const loop = 'root/for-loop-1';
    await h.store.recordTaskTransitions(runId, [
      { taskPath: 'root/prepare', displayName: 'prepare', kind: 'CONTAINER', componentName: 'comp', state: 'SUCCEEDED', at },
      { taskPath: loop, displayName: 'for-loop-1', kind: 'LOOP', componentName: 'comp', state: 'RUNNING', at },
      ...Array.from({ length: 10_000 }, (_, i) => ({
        taskPath: `${loop}[${i}]`, displayName: `for-loop-1[${i}]`, parentTaskPath: loop, kind: 'ITERATION' as const, iterationIndex: i, componentName: 'comp',
        state: i < 9000 ? ('SUCCEEDED' as const) : ('RUNNING' as const), at,
      })),
    ]);

    // The target is 50 ms; the bound is generous for a shared test machine, and the median is logged.
    const { median, last: run } = await timed(5, () => h.call('GET', `${API}/runs/${runId}`));
    console.log(`GET /runs/{id}, 10,002 tasks, 102 details: median ${median.toFixed(1)} ms`);
    expect(median).toBeLessThan(500);
    const details = run.body.run_details;
    expect(details.task_details.map((t: { task_path: string }) => t.task_path)).toEqual(['root/for-loop-1', 'root/prepare', ...Array.from({ length: 100 }, (_, i) => `${loop}[${i}]`)]);
    expect(details.task_count).toBe(10_002);
    expect(details.task_state_counts).toEqual({ SUCCEEDED: 9001, RUNNING: 1001 });
    expect(details).not.toHaveProperty('task_details_next_page_token');
    const loopDetail = details.task_details[0];
    expect(loopDetail.child_task_count).toBe(10_000);
    expect(loopDetail.child_tasks).toHaveLength(100);
    expect(loopDetail.child_task_state_counts).toEqual({ SUCCEEDED: 9000, RUNNING: 1000 });
    expect(details.task_details[1]).not.toHaveProperty('child_task_state_counts');

    // Every task, page by page in tree order.
    const first = await h.call('GET', `${API}/runs/${runId}/tasks?page_size=1000`);
    expect(first.body.total_size).toBe(10_002);
    expect(first.body.tasks.slice(0, 3).map((t: { task_path: string }) => t.task_path)).toEqual(['root/for-loop-1', 'root/prepare', `${loop}[0]`]);
    const next = await h.call('GET', `${API}/runs/${runId}/tasks?page_size=1000&page_token=${first.body.next_page_token}`);
    expect(next.status).toBe(200);
    expect(next.body.tasks[0].task_path).toBe(`${loop}[998]`);
    expect(next.body.tasks).toHaveLength(1000);

    const children = await h.call('GET', `${API}/runs/${runId}/tasks?parent_task_id=${loopDetail.task_id}&page_size=3`);
    expect(children.body.tasks.map((t: { display_name: string }) => t.display_name)).toEqual(['for-loop-1[0]', 'for-loop-1[1]', 'for-loop-1[2]']);
    expect(children.body.total_size).toBe(10_000);
    const later = await h.call('GET', `${API}/runs/${runId}/tasks?parent_task_id=${loopDetail.task_id}&page_size=3&page_token=${children.body.next_page_token}`);
    expect(later.body.tasks.map((t: { iteration_index: number }) => t.iteration_index)).toEqual([3, 4, 5]);

    const wrongToken = await h.call('GET', `${API}/runs/${runId}/tasks?page_token=${children.body.next_page_token}`);
    expect(wrongToken.status).toBe(400);
    expect(wrongToken.body.details[0].field_violations[0].field).toBe('page_token');
    const unknownParent = await h.call('GET', `${API}/runs/${runId}/tasks?parent_task_id=nope`);
    expect(unknownParent.status).toBe(404);
    expect(unknownParent.body.details[0].field_violations[0].field).toBe('parent_task_id');
    expect((await h.call('GET', `${API}/runs/nope/tasks`)).status).toBe(404);
    expect((await h.call('GET', `${API}/runs/${runId}/tasks?page_size=-1`)).status).toBe(400);
  });

  test('an unknown run is a 404 naming it', async () => {
    const res = await h.call('GET', `${API}/runs/nope`);
    expect(res.status).toBe(404);
    expect(res.body.error_message).toBe('run "nope" not found');
  });
});

describe('listing runs', () => {
  let experimentId: string;
  const states: RunState[] = ['SUCCEEDED', 'FAILED', 'SUCCEEDED', 'RUNNING', 'CANCELED'];
  beforeAll(async () => {
    experimentId = (await h.call('POST', `${API}/experiments`, { display_name: 'listing' })).body.experiment_id;
    for (const [i, state] of states.entries()) await seedRun({ state, experimentId, name: `listed-${i}` });
  });

  const list = (query: string) => h.call('GET', `${API}/runs?experiment_id=${experimentId}&${query}`);
  const filter = (predicates: unknown[]) => `filter=${encodeURIComponent(JSON.stringify({ predicates }))}`;
  const names = (body: { runs: { display_name: string }[] }) => body.runs.map((r) => r.display_name);

  test('by experiment, sorted, paged with tokens', async () => {
    const first = await list('page_size=2&sort_by=created_at%20desc');
    expect(first.body.total_size).toBe(5);
    expect(names(first.body)).toEqual(['listed-4', 'listed-3']);
    const second = await list(`page_size=2&sort_by=created_at%20desc&page_token=${first.body.next_page_token}`);
    expect(names(second.body)).toEqual(['listed-2', 'listed-1']);
    const third = await list(`page_size=2&sort_by=created_at%20desc&page_token=${second.body.next_page_token}`);
    expect(names(third.body)).toEqual(['listed-0']);
    expect(third.body.next_page_token).toBeUndefined();
    expect(first.body.runs[0].run_details).toBeUndefined();
    // Without the spec, a list page still says which pipeline each run is.
    expect(first.body.runs[0].pipeline_spec).toBeUndefined();
    expect(first.body.runs[0].pipeline_name).toBe('counting');
  });

  test('a page of 50 among 10,000 runs never reads a spec', async () => {
    const bulk = (await h.call('POST', `${API}/experiments`, { display_name: 'bulk' })).body.experiment_id;
    const pool = new Pool({ connectionString: h.databaseUrl, max: 1 });
    try {
      // Specs of ~200 KB each: a page that read them would show in the time.
      await pool.query(
        `INSERT INTO runs (run_id, display_name, experiment_id, spec, pipeline_name, state, created_at, scheduled_at)
         SELECT gen_random_uuid()::text, 'bulk-' || i, $1, jsonb_build_object('pipelineInfo', jsonb_build_object('name', 'bulk'), 'padding', repeat('x', 200000)),
                'bulk', 'SUCCEEDED', now() - i * interval '1 second', now()
         FROM generate_series(1, 10000) AS i`,
        [bulk],
      );
      await pool.query('ANALYZE runs');
    } finally {
      await pool.end();
    }
    const { median, last } = await timed(9, () => h.call('GET', `${API}/runs?experiment_id=${bulk}&page_size=50&sort_by=created_at%20desc`));
    console.log(`GET /runs?page_size=50 among 10,000 runs: median ${median.toFixed(1)} ms`);
    expect(last.body.runs).toHaveLength(50);
    expect(last.body.total_size).toBe(10_000);
    expect(last.body.runs[0]).toMatchObject({ display_name: 'bulk-1', pipeline_name: 'bulk' });
    expect(last.body.runs[0]).not.toHaveProperty('pipeline_spec');
    // The target is 20 ms; the bound is generous for a shared test machine.
    expect(median).toBeLessThan(200);
  });

  test('by state: EQUALS, IN, NOT_EQUALS, and kfp.Client\'s numeric form', async () => {
    const equals = await list(filter([{ key: 'state', operation: 'EQUALS', string_value: 'SUCCEEDED' }]));
    expect(names(equals.body).sort()).toEqual(['listed-0', 'listed-2']);
    const inList = await list(`sort_by=name&${filter([{ key: 'state', operation: 'IN', string_values: { values: ['FAILED', 'CANCELED'] } }])}`);
    expect(names(inList.body)).toEqual(['listed-1', 'listed-4']);
    const notEquals = await list(filter([{ key: 'state', operation: 'NOT_EQUALS', string_value: 'SUCCEEDED' }]));
    expect(names(notEquals.body).sort()).toEqual(['listed-1', 'listed-3', 'listed-4']);
    const numeric = await list(filter([{ key: 'state', operation: 1, stringValue: 'RUNNING' }]));
    expect(names(numeric.body)).toEqual(['listed-3']);
    const viaFilter = await h.call('GET', `${API}/runs?${filter([{ key: 'experiment_id', operation: 'EQUALS', string_value: experimentId }])}`);
    expect(viaFilter.body.total_size).toBe(5);
  });

  test('by name and creation time, paged with tokens under the filter', async () => {
    const substring = filter([{ key: 'display_name', operation: 'IS_SUBSTRING', string_value: 'listed-' }, { key: 'name', operation: 'NOT_EQUALS', string_value: 'listed-2' }]);
    const first = await list(`page_size=2&sort_by=display_name&${substring}`);
    expect(first.body.total_size).toBe(4);
    expect(names(first.body)).toEqual(['listed-0', 'listed-1']);
    const second = await list(`page_size=2&sort_by=display_name&${substring}&page_token=${first.body.next_page_token}`);
    expect(names(second.body)).toEqual(['listed-3', 'listed-4']);
    expect(second.body.next_page_token).toBeUndefined();
    // A token is bound to its filter: under another filter it is refused, not misapplied.
    const other = await list(`page_size=2&sort_by=display_name&${filter([{ key: 'name', operation: 'EQUALS', string_value: 'listed-0' }])}&page_token=${first.body.next_page_token}`);
    expect(other.status).toBe(400);

    const all = (await list('page_size=10&sort_by=created_at')).body.runs as { display_name: string; created_at: string }[];
    const seconds = (run: { created_at: string }) => Math.floor(Date.parse(run.created_at) / 1000);
    const cut = seconds(all[2]);
    // Times compare whole seconds, as KFP keeps them; `long_value` is seconds since the epoch.
    const later = await list(filter([{ key: 'created_at', operation: 'GREATER_THAN', timestamp_value: new Date(cut * 1000).toISOString() }]));
    expect(names(later.body).sort()).toEqual(all.filter((r) => seconds(r) > cut).map((r) => r.display_name).sort());
    const upTo = await list(filter([{ key: 'created_at', operation: 'LESS_THAN_EQUALS', long_value: String(cut) }]));
    expect(names(upTo.body).sort()).toEqual(all.filter((r) => seconds(r) <= cut).map((r) => r.display_name).sort());
    const exact = await list(filter([{ key: 'display_name', operation: 'IN', string_values: { values: ['listed-1', 'listed-3', 'nope'] } }]));
    expect(names(exact.body).sort()).toEqual(['listed-1', 'listed-3']);
  });

  test('by storage state', async () => {
    const target = (await list(filter([{ key: 'state', operation: 'EQUALS', string_value: 'FAILED' }]))).body.runs[0].run_id;
    expect((await h.call('POST', `${API}/runs/${target}:archive`)).status).toBe(200);
    const active = await list(filter([{ key: 'storage_state', operation: 'NOT_EQUALS', string_value: 'ARCHIVED' }]));
    expect(names(active.body)).not.toContain('listed-1');
    expect((await h.call('POST', `${API}/runs/${target}:unarchive`)).status).toBe(200);
    expect((await h.call('GET', `${API}/runs/${target}`)).body.storage_state).toBe('AVAILABLE');
  });

  test.each([
    [[{ key: 'colour', operation: 'EQUALS', string_value: 'x' }], 'filter.predicates.0.key: cannot filter on "colour"; supported keys: state, experiment_id, storage_state'],
    [[{ key: 'created_at', operation: 'GREATER_THAN', timestamp_value: 'yesterday' }], 'filter.predicates.0: "yesterday" is not a time'],
    [[{ key: 'created_at', operation: 'IN', string_values: { values: ['1'] } }], 'filter.predicates.0.operation: operation IN is not supported on "created_at"'],
    [[{ key: 'state', operation: 'IS_SUBSTRING', string_value: 'RUN' }], 'filter.predicates.0.operation: operation IS_SUBSTRING is not supported on "state"; supported: EQUALS, NOT_EQUALS, IN'],
    [[{ key: 'state', operation: 'EQUALS', string_value: 'DONE' }], 'filter.predicates.0: "DONE" is not a state; expected one of PENDING, RUNNING'],
    [[{ key: 'state', operation: 'EQUALS' }], 'filter.predicates.0: operation EQUALS needs a value (string_value)'],
    [[{ key: 'state', operation: 'EQUALS', string_value: 'FAILED' }, { key: 'state', operation: 'EQUALS', string_value: 'SUCCEEDED' }], 'filter.predicates.1: the predicates on state exclude each other'],
    [[{ key: 'state', operation: 'EQUALS', string_valu: 'FAILED' }], 'filter.predicates.0: Unrecognized key(s) in object: \'string_valu\''],
  ])('an unsupported filter is a 400 naming it (%#)', async (predicates, message) => {
    const res = await list(filter(predicates));
    expect(res.status).toBe(400);
    expect(res.body.error_message).toContain(message);
  });

  test('an unknown sort field is a 400 naming it', async () => {
    const res = await list('sort_by=colour');
    expect(res.status).toBe(400);
    expect(res.body.error_message).toMatch(/^sort_by: cannot sort runs by "colour"/);
  });
});

describe('ending runs', () => {
  test('terminate records CANCELING and asks the workflow to cancel', async () => {
    const created = await h.call('POST', `${API}/runs`, { display_name: 'to stop', pipeline_spec: spec, runtime_config: { parameters: { n: 1 } } });
    const runId = created.body.run_id;
    const res = await h.call('POST', `${API}/runs/${runId}:terminate`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect((await h.store.getRun(runId))?.state).toBe('CANCELING');
    const history = await h.temporal.workflow.getHandle(runId).fetchHistory();
    expect((history.events ?? []).some((e) => e.workflowExecutionCancelRequestedEventAttributes)).toBe(true);
    // Terminating again while it cancels is harmless.
    expect((await h.call('POST', `${API}/runs/${runId}:terminate`)).status).toBe(200);
    // An active run cannot be deleted.
    const del = await h.call('DELETE', `${API}/runs/${runId}`);
    expect(del.status).toBe(400);
    expect(del.body.error_message).toMatch(/is CANCELING; terminate it and let it finish before deleting it/);
  });

  test('a run with no workflow is recorded CANCELED at once', async () => {
    const runId = await seedRun({ state: 'RUNNING' });
    expect((await h.call('POST', `${API}/runs/${runId}:terminate`)).status).toBe(200);
    const run = await h.store.getRun(runId);
    expect(run?.state).toBe('CANCELED');
    expect(run?.stateHistory.map((c) => c.state)).toEqual(['PENDING', 'RUNNING', 'CANCELING', 'CANCELED']);
  });

  test('terminating a finished run is refused naming its state; a finished run can be deleted', async () => {
    const runId = await seedRun({ state: 'SUCCEEDED' });
    const res = await h.call('POST', `${API}/runs/${runId}:terminate`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 9, error_message: `run "${runId}" is already SUCCEEDED; only a run that has not finished can be terminated` });
    expect((await h.call('DELETE', `${API}/runs/${runId}`)).status).toBe(200);
    expect((await h.call('GET', `${API}/runs/${runId}`)).status).toBe(404);
    expect((await h.call('POST', `${API}/runs/${runId}:terminate`)).status).toBe(404);
  });
});

describe('task logs', () => {
  let runId: string;
  let logFile: string;
  beforeAll(async () => {
    runId = await seedRun({ state: 'RUNNING' });
    logFile = join(h.artifactRoot, `${runId}.log`);
    writeFileSync(logFile, 'line 1\n');
    await h.store.recordLaunch(launchOf(runId, 'root/echo', new Date(), { attempt: { attempt: 1, state: 'RUNNING', podName: 'p1', logUri: logFile } }));
    await h.store.recordTaskTransitions(runId, [
      { taskPath: 'root/waiting', displayName: 'waiting', kind: 'CONTAINER', componentName: 'comp-echo', state: 'PENDING', at: new Date().toISOString() },
    ]);
  });

  const logs = (task: string, query = '') => h.call('GET', `${API}/runs/${runId}/tasks/${task}/logs${query}`);

  test('the latest attempt\'s log is returned as text', async () => {
    const res = await h.fetch(`${API}/runs/${runId}/tasks/echo/logs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('line 1\n');
    expect((await logs('echo', '?attempt=1')).text).toBe('line 1\n');
    // By its path too (URL-encoded).
    expect((await logs(encodeURIComponent('root/echo'))).text).toBe('line 1\n');
  });

  test.each([
    ['an unknown run', () => h.call('GET', `${API}/runs/nope/tasks/echo/logs`), () => 'run "nope" not found'],
    ['an unknown task', () => logs('nope'), () => `task "nope" not found: run "${runId}" has no task at that path (yet)`],
    ['a task that has not started', () => logs('waiting'), () => 'log of task "root/waiting" not found: the task has not started (it is PENDING)'],
    ['an unknown attempt', () => logs('echo', '?attempt=3'), () => 'attempt: attempt of task "root/echo" "3" not found: the task has attempts 1'],
  ])('%s is a 404 naming what is missing', async (_what, request, message) => {
    const res = await request();
    expect(res.status).toBe(404);
    expect(res.body.error_message).toBe(message());
  });

  test('a bad attempt number is a 400', async () => {
    const res = await logs('echo', '?attempt=0');
    expect(res.status).toBe(400);
    expect(res.body.error_message).toMatch(/^attempt: /);
  });

  test('follow streams the log as it grows, across a retry, until the task ends', async () => {
    const res = await h.fetch(`${API}/runs/${runId}/tasks/echo/logs?follow=true`);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (text: string) => {
      while (!received.includes(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before "${text}"; got ${JSON.stringify(received)}`);
        received += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('line 1\n');
    appendFileSync(logFile, 'line 2\n');
    await readUntil('line 2\n');

    // The first attempt fails and a second starts, writing a log of its own.
    const retryLog = join(h.artifactRoot, `${runId}-2.log`);
    appendFileSync(logFile, 'last of attempt 1\n');
    await h.store.recordLaunch(launchOf(runId, 'root/echo', new Date(), { attempt: { attempt: 1, state: 'FAILED' } }));
    writeFileSync(retryLog, 'attempt 2 says hi\n');
    await h.store.recordLaunch(launchOf(runId, 'root/echo', new Date(), { attempt: { attempt: 2, state: 'RUNNING', podName: 'p2', logUri: retryLog } }));
    await readUntil('attempt 2 says hi\n');

    appendFileSync(retryLog, 'done\n');
    await h.store.recordLaunch(launchOf(runId, 'root/echo', new Date(), { task: { state: 'SUCCEEDED' }, attempt: { attempt: 2, state: 'SUCCEEDED', exitCode: 0 } }));
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    expect(received).toBe('line 1\nline 2\nlast of attempt 1\nattempt 2 says hi\ndone\n');
  });
});
