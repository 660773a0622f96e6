import { ApplicationFailure } from '@temporalio/common';
import { createImportArtifact } from '../../activities/import-artifact';
import type { ImportArtifactInput, ImporterSpec } from '../../activities/types';
import { newRun, useStore } from '../store/fixtures';

const db = useStore('import_artifact');

async function importerTask(importer: ImporterSpec, inputParameters: ImportArtifactInput['inputParameters'] = {}, taskPath = 'importer'): Promise<ImportArtifactInput> {
  const { runId } = await db.store().createRun(newRun());
  return {
    runId,
    taskPath,
    displayName: taskPath,
    componentName: 'comp-importer',
    importer,
    inputParameters,
    outputDefinitions: { artifacts: { artifact: { artifactType: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' } } } },
  };
}

const dataset = { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' };

describe('importArtifact', () => {
  const importArtifact = () => createImportArtifact(db.store());

  test('registers a runtime-parameter URI with resolved metadata as the task output, with task row and lineage', async () => {
    const uri = `gs://bucket/data/${Date.now()}/train.csv`;
    const input = await importerTask(
      { artifactUri: { runtimeParameter: 'uri' }, typeSchema: dataset, metadata: { source: "from {{$.inputs.parameters['origin']}}", nested: { n: 1 } }, reimport: true },
      { uri, origin: 'the lake' },
    );
    const result = await importArtifact()(input);
    const artifact = { name: 'train.csv', uri, schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: { source: 'from the lake', nested: { n: 1 } } };
    expect(result).toEqual({ outputs: { parameters: {}, artifacts: { artifact: [artifact] } }, attempts: 1, podName: expect.any(String) });

    const task = await db.store().getTask(input.runId, 'importer');
    expect(task).toMatchObject({ state: 'SUCCEEDED', attempts: 1, componentName: 'comp-importer', inputs: { parameters: { uri, origin: 'the lake' } } });
    const [stored] = await db.store().listArtifacts(input.runId);
    expect(stored).toMatchObject({ ...artifact, producerTaskPath: 'importer', outputKey: 'artifact' });
    expect(task?.outputs.artifacts).toEqual({ artifact: [stored.artifactId] });
    expect(await db.store().listLineage(input.runId)).toEqual([
      expect.objectContaining({ artifactId: stored.artifactId, taskPath: 'importer', direction: 'OUTPUT', key: 'artifact' }),
    ]);
    // A retried activity returns what was recorded.
    expect(await importArtifact()(input)).toEqual(result);
  });

  test('a constant local path that does not exist is registered as a reference, not read', async () => {
    const uri = `/no/such/dir/${Date.now()}/model`;
    const input = await importerTask({ artifactUri: { constant: uri }, typeSchema: { schemaTitle: 'system.Model' } });
    const result = await importArtifact()(input);
    expect(result.outputs.artifacts.artifact).toEqual([{ name: 'model', uri, schemaTitle: 'system.Model', schemaVersion: '0.0.1', metadata: {} }]);
  });

  test('reimport: false reuses the artifact already registered with the URI; reimport: true registers it again', async () => {
    const uri = `s3://bucket/${Date.now()}/shared`;
    const first = await importerTask({ artifactUri: { constant: { stringValue: uri } }, typeSchema: dataset, metadata: { v: 1 }, reimport: true });
    const original = (await importArtifact()(first)).outputs.artifacts.artifact[0];

    const reuse = await importerTask({ artifactUri: { constant: uri }, typeSchema: dataset, metadata: { v: 2 } });
    expect((await importArtifact()(reuse)).outputs.artifacts.artifact).toEqual([original]);

    const again = await importerTask({ artifactUri: { constant: uri }, typeSchema: dataset, metadata: { v: 3 }, reimport: true });
    expect((await importArtifact()(again)).outputs.artifacts.artifact[0].metadata).toEqual({ v: 3 });
  });

  test.each([
    ['no URI value', { artifactUri: { runtimeParameter: 'uri' }, typeSchema: dataset }, {}, /importer importer: its URI comes from input parameter 'uri', which the task does not have/],
    ['an empty URI', { artifactUri: { constant: '' }, typeSchema: dataset }, {}, /the artifact URI must be a non-empty string/],
    ['a metadata placeholder without input', { artifactUri: { constant: 'gs://b/x' }, typeSchema: dataset, metadata: { a: "{{$.inputs.parameters['missing']}}" } }, {}, /metadata placeholder .*missing/],
  ] as const)('%s is a non-retryable InvalidTask failure', async (_, importer, parameters, message) => {
    const input = await importerTask(importer as ImporterSpec, parameters);
    const failure = await importArtifact()(input).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'InvalidTask', nonRetryable: true });
    expect((failure as Error).message).toMatch(message);
  });
});
