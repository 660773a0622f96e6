/**
 * What a run is given, end to end on the real stack with pipelines compiled by the real kfp SDK
 * (test/engine/kfp-pipelines/): artifacts the store already knows given as pipeline inputs
 * (`runtime_config.input_artifacts`), and inputs that set a task's resources at run time.
 * docs/kfp-semantics.md says where Sluice follows KFP and where it extends it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestEngine, taskByName, type ApiRun, type ApiTask, type TestEngine } from '../support/engine';
import { compileKfpPipelines } from '../support/kfp-compile';
import { stepWritableDir } from '../support/temp-dirs';

const PIPELINES_DIR = join(__dirname, 'kfp-pipelines');
const RUN_TIMEOUT = 180_000;

let engine: TestEngine;
let pipelines: Record<string, string>;

beforeAll(async () => {
  pipelines = compileKfpPipelines(['importer', 'input_artifacts', 'resources'].map((name) => join(PIPELINES_DIR, `${name}.py`)));
  engine = await startTestEngine('run-inputs', { parallelism: 4 });
}, 300_000);
afterAll(async () => {
  await engine?.stop();
});

async function run(name: string, parameters: Record<string, unknown>, runtimeConfig: Record<string, unknown> = {}): Promise<ApiRun> {
  const { run_id } = await engine.createRun(pipelines[name], parameters, runtimeConfig);
  return engine.waitForRun(run_id, RUN_TIMEOUT);
}

function task(run: ApiRun, path: string): ApiTask {
  const found = run.run_details?.task_details?.find((t) => t.task_path === path);
  if (!found) throw new Error(`run ${run.run_id} has no task ${path}`);
  return found;
}

const output = (run: ApiRun, path: string) => task(run, path).output_parameters?.out;

function expectSucceeded(run: ApiRun): void {
  const failed = (run.run_details?.task_details ?? []).filter((t) => t.state === 'FAILED').map((t) => `${String(t.task_path)}: ${t.error?.message}`);
  expect({ state: run.state, failed }).toEqual({ state: 'SUCCEEDED', failed: [] });
}

function executions(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'executions'), 'utf8').split('\n').filter(Boolean).sort();
  } catch {
    return [];
  }
}

describe('pipeline input artifacts', () => {
  let artifactId: string;
  let uri: string;

  beforeAll(async () => {
    // An artifact Sluice knows: a file brought in by an importer run.
    const dir = stepWritableDir('input-artifact-source');
    uri = join(dir, 'seed.txt');
    writeFileSync(uri, 'seed text');
    const imported = await run('importer', { dir, uri });
    expectSucceeded(imported);
    const outputs = taskByName(imported, 'importer').outputs as Record<string, { artifact_ids: string[] }>;
    artifactId = Object.values(outputs)[0].artifact_ids[0];
  }, RUN_TIMEOUT);

  test('given by id: steps at the root and in a nested pipeline read it; an optional one not given takes IfPresent\'s else', async () => {
    const dir = stepWritableDir('input-artifacts');
    const r = await run('input_artifacts', { dir }, { input_artifacts: { data: { artifact_id: artifactId } } });
    expectSucceeded(r);
    expect(r.runtime_config).toEqual(expect.objectContaining({ input_artifacts: { data: { artifact_id: artifactId } } }));
    expect(output(r, 'root/read-data')).toBe('seed text');
    expect(output(r, 'root/inner/inner-read')).toBe('seed text');
    expect(output(r, 'root/use-inner')).toBe('seed text');
    // {{$.inputs.artifacts['data'].uri}}, .path (the local store's URIs are paths) and .metadata (the importer's).
    const described = `${uri}|${uri}|${JSON.stringify({ origin: 'test' })}|no-extra`;
    expect(output(r, 'root/describe')).toBe(described);
    expect(output(r, 'root/inner/inner-describe')).toBe(described);
    // The consumers record the artifact as their input, by the id it was given by.
    expect(task(r, 'root/read-data').inputs).toEqual({ data: { artifact_ids: [artifactId] } });
    expect(executions(dir)).toEqual(['describe:root', 'inner-describe:inner', 'inner-read:inner', 'read-data:root', 'use-inner:seed text']);
  });

  test('an optional input artifact that was given reaches IfPresent\'s then, also in the nested pipeline', async () => {
    const dir = stepWritableDir('input-artifacts-extra');
    const r = await run('input_artifacts', { dir }, { input_artifacts: { data: { artifact_id: artifactId }, extra: { artifact_id: artifactId } } });
    expectSucceeded(r);
    expect(output(r, 'root/describe')).toMatch(new RegExp(`\\|${uri}$`));
    expect(output(r, 'root/inner/inner-describe')).toMatch(new RegExp(`\\|${uri}$`));
  });
});

describe('resources set by inputs at run time', () => {
  test('a cpu limit from a pipeline parameter, a memory limit from an upstream output, an accelerator count from an integer: the launch records them', async () => {
    const dir = stepWritableDir('resources');
    const r = await run('resources', { dir, cpu: '250m', memory: '256Mi', gpus: 2 });
    expectSucceeded(r);
    expect(task(r, 'root/train').resources).toEqual({
      cpu_limit: '250m',
      cpu_request: '100m',
      memory_limit: '256Mi',
      accelerator: { type: 'nvidia.com/gpu', count: 2 },
    });
    expect(task(r, 'root/size').resources).toBeUndefined();
    expect(executions(dir)).toEqual(['size:256Mi', 'train:fit']);
  });

  test('a value that is not a quantity fails the task before it starts, without retries, naming the field and the value', async () => {
    const dir = stepWritableDir('resources-bad');
    const r = await run('resources', { dir, cpu: 'abc' });
    expect(r.state).toBe('FAILED');
    const train = task(r, 'root/train');
    expect(train.state).toBe('FAILED');
    expect(train.error?.message).toContain('resources.cpuLimit "abc" of task \'train\' is not a CPU quantity');
    expect(train.attempts).toBe(1);
    expect(r.error?.message).toContain('resources.cpuLimit "abc"');
    expect(executions(dir)).toEqual(['size:512Mi']);
  });
});
