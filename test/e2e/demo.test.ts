import { readFileSync } from 'node:fs';
import demo from '../../examples/digits/pipeline';
import { compilePipeline, toYaml } from '../../sdk';
import { startTestEngine, taskByName, type TestEngine } from '../support/engine';

interface ApiArtifact {
  artifact_id: string;
  uri: string;
  schema_title?: string;
  type?: { schema_title?: string };
  metadata: Record<string, unknown>;
  [k: string]: unknown;
}

describe('the demo pipeline end to end through the API', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('demo');
  });
  afterAll(async () => {
    await engine?.stop();
  });

  async function api<T>(path: string, init?: RequestInit): Promise<T> {
    const res = await fetch(`${engine.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${engine.token}`, ...init?.headers } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path} → ${res.status}: ${text}`);
    return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  }

  test('upload the compiled demo, run its version, and read results, artifacts and logs', async () => {
    const form = new FormData();
    form.append('uploadfile', new Blob([toYaml(compilePipeline(demo))], { type: 'application/x-yaml' }), 'digits.yaml');
    const pipeline = await api<{ pipeline_id: string }>('/apis/v2beta1/pipelines/upload?name=digits-e2e', { method: 'POST', body: form });
    const versions = await api<{ pipeline_versions: { pipeline_version_id: string }[] }>(`/apis/v2beta1/pipelines/${pipeline.pipeline_id}/versions`);
    expect(versions.pipeline_versions).toHaveLength(1);

    const created = await api<{ run_id: string; state: string }>('/apis/v2beta1/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        display_name: 'digits e2e',
        pipeline_version_reference: { pipeline_id: pipeline.pipeline_id, pipeline_version_id: versions.pipeline_versions[0].pipeline_version_id },
        runtime_config: { parameters: { C: 5, gamma: '0.001' } },
      }),
    });
    const run = await engine.waitForRun(created.run_id, 120_000);
    expect(run.state).toBe('SUCCEEDED');
    expect(run.run_details?.task_details?.map((t) => [t.display_name, t.state])).toEqual(
      expect.arrayContaining([['load-data', 'SUCCEEDED'], ['train', 'SUCCEEDED'], ['evaluate', 'SUCCEEDED']]),
    );
    const evaluate = taskByName(run, 'evaluate');
    expect(evaluate.output_parameters?.accuracy).toBeGreaterThan(0.9);
    expect(taskByName(run, 'train').input_parameters).toMatchObject({ C: 5, gamma: 0.001 });

    const { artifacts } = await api<{ artifacts: ApiArtifact[] }>(`/apis/v2beta1/runs/${created.run_id}/artifacts`);
    const title = (a: ApiArtifact) => a.schema_title ?? a.type?.schema_title;
    expect(artifacts.map(title).sort()).toEqual(['system.ClassificationMetrics', 'system.Dataset', 'system.Dataset', 'system.Metrics', 'system.Model']);
    const metrics = artifacts.find((a) => title(a) === 'system.Metrics') as ApiArtifact;
    expect(metrics.metadata.accuracy).toBe(evaluate.output_parameters?.accuracy);
    const matrix = artifacts.find((a) => title(a) === 'system.ClassificationMetrics')?.metadata.confusionMatrix as {
      annotationSpecs: unknown[];
      rows: { row: number[] }[];
    };
    expect(matrix.annotationSpecs).toHaveLength(10);
    expect(matrix.rows).toHaveLength(10);
    const total = matrix.rows.flatMap((r) => r.row).reduce((a, b) => a + b, 0);
    expect(total).toBe(450); // 25% of the 1,797 digits
    const model = artifacts.find((a) => title(a) === 'system.Model') as ApiArtifact;
    expect(readFileSync(model.uri).length).toBeGreaterThan(1000);

    const log = await api<string>(`/apis/v2beta1/runs/${created.run_id}/tasks/train/logs`);
    expect(log.length).toBeGreaterThan(0);

    const stored = await engine.store.listTasks(created.run_id);
    expect(stored.every((t) => t.attempts === 1 && t.finishedAt && t.startedAt && t.podName)).toBe(true);
  });
});
