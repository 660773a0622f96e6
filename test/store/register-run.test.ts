import { randomUUID } from 'node:crypto';
import { createRegisterRun } from '../../activities/register-run';
import { artifactIdFor, DEFAULT_EXPERIMENT_ID } from '../../store/ids';
import { at, newRun, pipelineSpec, useStore } from './fixtures';

const db = useStore('store_register_run');

function input(runId: string, experimentId?: string) {
  return {
    runId,
    runName: 'scheduled',
    experimentId,
    spec: pipelineSpec('nightly'),
    platformSpec: { platforms: { kubernetes: {} } },
    parameters: { n: 1 },
    pipelineRoot: '/tmp/root',
    createdAt: at(5).toISOString(),
  };
}

describe('registerRun', () => {
  test('a run with no row gets one (Default experiment), RUNNING; a retry changes nothing', async () => {
    const registerRun = createRegisterRun(db.store());
    const runId = randomUUID();
    expect(await registerRun(input(runId))).toEqual({ experimentId: DEFAULT_EXPERIMENT_ID, pipelineName: 'nightly' });
    const first = await db.store().getRun(runId);
    expect(first).toMatchObject({
      displayName: 'scheduled',
      pipelineName: 'nightly',
      platformSpec: { platforms: { kubernetes: {} } },
      state: 'RUNNING',
      createdAt: at(5),
    });
    expect(first?.stateHistory.map((c) => c.state)).toEqual(['PENDING', 'RUNNING']);
    expect(first?.inputArtifacts).toEqual({});
    await registerRun(input(runId));
    expect(await db.store().getRun(runId)).toEqual(first);
  });

  test('a run started with input artifacts records them by id', async () => {
    const runId = randomUUID();
    const data = { name: 'data', uri: '/store/seed.txt', schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: {} };
    await createRegisterRun(db.store())({ ...input(runId), inputArtifacts: { data: [data] } });
    expect((await db.store().getRun(runId))?.inputArtifacts).toEqual({ data: [artifactIdFor(data.uri)] });
  });

  test('a run the API created keeps its row and experiment; it only moves to RUNNING', async () => {
    const experimentId = randomUUID();
    await db.store().createExperiment({ experimentId, displayName: experimentId, description: '', namespace: '' });
    const created = await db.store().createRun(newRun({ experimentId, displayName: 'from the API', createdAt: at(1) }));
    expect(await createRegisterRun(db.store())({ ...input(created.runId), runName: 'other' })).toEqual({ experimentId, pipelineName: 'hello' });
    expect(await db.store().getRun(created.runId)).toMatchObject({ displayName: 'from the API', experimentId, state: 'RUNNING' });
  });
});
