import { randomUUID } from 'node:crypto';
import { StoreNotFoundError } from '../../store/errors';
import { artifactIdFor, taskIdFor } from '../../store/ids';
import type { LineageEdge } from '../../store/types';
import { newRun, useStore } from './fixtures';

const db = useStore('store_artifacts');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function dataset(runId: string, uri: string) {
  return {
    runId,
    name: 'dataset',
    uri,
    schemaTitle: 'system.Dataset',
    schemaVersion: '0.0.1',
    metadata: { rows: 10 },
    producerTask: 'load',
    outputKey: 'dataset',
  };
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
  test('registering a URI twice yields one row with the same id; first producer kept, metadata updated', async () => {
    const { runId } = await db.store().createRun(newRun());
    const uri = `/artifacts/${runId}/load/dataset`;
    const first = await db.store().upsertArtifact(dataset(runId, uri));
    expect(first).toEqual({ ...dataset(runId, uri), artifactId: artifactIdFor(uri), createdAt: expect.any(Date) });

    const { runId: laterRun } = await db.store().createRun(newRun());
    const second = await db.store().upsertArtifact({ ...dataset(laterRun, uri), metadata: { rows: 11 }, producerTask: 'cached' });
    expect(second).toEqual({ ...first, metadata: { rows: 11 } });
    expect(await db.count('artifacts', 'WHERE uri = $1', [uri])).toBe(1);
    expect(await db.store().getArtifact(first.artifactId)).toEqual(second);
    expect(await db.store().listArtifacts(runId)).toEqual([second]);
    expect(await db.store().listArtifacts(laterRun)).toEqual([]);
    expect(await db.store().getArtifact(randomUUID())).toBeUndefined();
  });

  test('concurrent registrations of one URI write one row', async () => {
    const { runId } = await db.store().createRun(newRun());
    const uri = `/artifacts/${runId}/race`;
    const results = await Promise.all(Array.from({ length: 8 }, () => db.store().upsertArtifact(dataset(runId, uri))));
    expect(new Set(results.map((a) => a.artifactId))).toEqual(new Set([artifactIdFor(uri)]));
    expect(await db.count('artifacts', 'WHERE uri = $1', [uri])).toBe(1);
  });

  test('an artifact of a missing run is an error', async () => {
    await expect(db.store().upsertArtifact(dataset(randomUUID(), `/orphan/${randomUUID()}`))).rejects.toThrow(StoreNotFoundError);
  });
});

describe('lineage', () => {
  test('edges are idempotent and listed per run', async () => {
    const { runId } = await db.store().createRun(newRun());
    const a = await db.store().upsertArtifact(dataset(runId, `/artifacts/${runId}/load/dataset`));
    const out: LineageEdge = { artifactId: a.artifactId, runId, taskName: 'load', direction: 'OUTPUT', key: 'dataset' };
    const input: LineageEdge = { artifactId: a.artifactId, runId, taskName: 'train', direction: 'INPUT', key: 'data' };
    for (let i = 0; i < 3; i++) await Promise.all([db.store().addLineage(out), db.store().addLineage(input)]);
    expect(await db.count('lineage', 'WHERE run_id = $1', [runId])).toBe(2);
    expect(await db.store().listLineage(runId)).toEqual([out, input]);
  });

  test('an edge to an unregistered artifact is an error naming it', async () => {
    const { runId } = await db.store().createRun(newRun());
    const artifactId = randomUUID();
    const error = await db.store()
      .addLineage({ artifactId, runId, taskName: 'train', direction: 'INPUT', key: 'data' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreNotFoundError);
    expect(error).toMatchObject({ entity: 'artifact', id: artifactId });
  });
});
