import { randomUUID } from 'node:crypto';
import { artifactIdFor, taskIdFor } from '../../store/ids';
import { launch, newRun, useStore } from './fixtures';

const db = useStore('store_artifacts');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function dataset(uri: string, metadata: Record<string, number> = { rows: 10 }) {
  return { name: 'dataset', uri, schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata };
}

/** A succeeded launch of `taskPath` that produced `refs` under output `dataset`. */
function produced(runId: string, taskPath: string, refs: ReturnType<typeof dataset>[]) {
  const base = launch(runId, taskPath);
  return launch(runId, taskPath, {
    task: { ...base.task, state: 'SUCCEEDED' },
    attempt: { attempt: 1, state: 'SUCCEEDED', exitCode: 0 },
    outputArtifacts: { dataset: refs },
  });
}

describe('deterministic ids', () => {
  test('are UUID-shaped, stable, and distinct per input', () => {
    expect(artifactIdFor('/a/b')).toMatch(UUID);
    expect(artifactIdFor('/a/b')).toBe(artifactIdFor('/a/b'));
    expect(artifactIdFor('/a/b')).not.toBe(artifactIdFor('/a/c'));
    expect(taskIdFor('run', 'task')).toMatch(UUID);
    expect(taskIdFor('run', 'task')).not.toBe(taskIdFor('runt', 'ask'));
  });
});

describe('artifacts', () => {
  test('registering a URI twice yields one row with the same id; first run and producer kept, metadata updated', async () => {
    const { runId } = await db.store().createRun(newRun());
    const uri = `/artifacts/${runId}/load/dataset`;
    await db.store().recordLaunch(produced(runId, 'root/load', [dataset(uri)]));
    const first = await db.store().getArtifact(artifactIdFor(uri));
    expect(first).toEqual({
      ...dataset(uri),
      artifactId: artifactIdFor(uri),
      runId,
      producerTaskPath: 'root/load',
      outputKey: 'dataset',
      createdAt: expect.any(Date),
    });

    const { runId: laterRun } = await db.store().createRun(newRun());
    await db.store().recordLaunch(produced(laterRun, 'root/cached', [dataset(uri, { rows: 11 })]));
    const second = await db.store().getArtifact(artifactIdFor(uri));
    expect(second).toEqual({ ...first, metadata: { rows: 11 } });
    expect(await db.count('artifacts', 'WHERE uri = $1', [uri])).toBe(1);
    expect(await db.store().listArtifacts(runId)).toEqual([second]);
    expect(await db.store().listArtifacts(laterRun)).toEqual([]);
    expect(await db.store().getArtifact(randomUUID())).toBeUndefined();
  });

  test('concurrent registrations of one URI write one row', async () => {
    const { runId } = await db.store().createRun(newRun());
    const uri = `/artifacts/${runId}/race`;
    await Promise.all(Array.from({ length: 8 }, (_, i) => db.store().recordLaunch(produced(runId, `root/t${i}`, [dataset(uri)]))));
    expect(await db.count('artifacts', 'WHERE uri = $1', [uri])).toBe(1);
  });

  test('the same URI twice in one launch is one artifact with two lineage edges', async () => {
    const { runId } = await db.store().createRun(newRun());
    const uri = `/artifacts/${runId}/twice`;
    const base = launch(runId, 'root/t');
    await db.store().recordLaunch({ ...base, inputArtifacts: { a: [dataset(uri)], b: [dataset(uri)] } });
    expect(await db.count('artifacts', 'WHERE uri = $1', [uri])).toBe(1);
    expect((await db.store().listLineage(runId)).map((e) => e.key)).toEqual(['a', 'b']);
  });
});
