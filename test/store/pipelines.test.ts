import { randomUUID } from 'node:crypto';
import { StoreConflictError, StoreInputError, StoreNotFoundError } from '../../store/errors';
import type { PipelineRecord } from '../../store/types';
import { pipelineSpec, useStore } from './fixtures';

const db = useStore('store_pipelines');

function newPipeline(name: string, overrides: Partial<Omit<PipelineRecord, 'createdAt'>> = {}) {
  return { pipelineId: randomUUID(), name, displayName: name.toUpperCase(), description: `about ${name}`, namespace: '', ...overrides };
}

function newVersion(pipelineId: string, name: string) {
  return {
    pipelineVersionId: randomUUID(),
    pipelineId,
    name,
    displayName: name,
    description: '',
    spec: pipelineSpec(name),
    platformSpec: { platforms: { kubernetes: { deploymentSpec: { executors: {} } } } },
  };
}

describe('pipelines', () => {
  test('create, get by id and by name', async () => {
    const input = newPipeline('get-me');
    const created = await db.store().createPipeline(input);
    expect(created).toEqual({ ...input, createdAt: expect.any(Date) });
    expect(await db.store().getPipeline(input.pipelineId)).toEqual(created);
    expect(await db.store().getPipelineByName('get-me')).toEqual(created);
    expect(await db.store().getPipelineByName('get-me', 'team-a')).toBeUndefined();
    expect(await db.store().getPipeline(randomUUID())).toBeUndefined();
  });

  test('creating the same id twice returns the stored pipeline, one row', async () => {
    const input = newPipeline('twice');
    const first = await db.store().createPipeline(input);
    const second = await db.store().createPipeline({ ...input, description: 'changed' });
    expect(second).toEqual(first);
    expect(await db.count('pipelines', 'WHERE name = $1', ['twice'])).toBe(1);
  });

  test('a duplicate name in a namespace is a conflict naming the field; another namespace is fine', async () => {
    await db.store().createPipeline(newPipeline('dup'));
    const error = await db.store().createPipeline(newPipeline('dup')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreConflictError);
    expect(error).toMatchObject({ entity: 'pipeline', field: 'name', value: 'dup' });
    await expect(db.store().createPipeline(newPipeline('dup', { namespace: 'team-a' }))).resolves.toMatchObject({ name: 'dup' });
  });

  test('versions: create, get, list, duplicate name, missing pipeline', async () => {
    const p = await db.store().createPipeline(newPipeline('versioned'));
    const v1 = await db.store().createPipelineVersion(newVersion(p.pipelineId, 'v1'));
    const v2 = await db.store().createPipelineVersion(newVersion(p.pipelineId, 'v2'));
    expect(await db.store().getPipelineVersion(p.pipelineId, v1.pipelineVersionId)).toEqual(v1);
    expect(v1.spec).toEqual(pipelineSpec('v1'));
    expect(v1.platformSpec).toEqual(newVersion('', '').platformSpec);
    expect(await db.store().getPipelineVersion(randomUUID(), v1.pipelineVersionId)).toBeUndefined();

    const page = await db.store().listPipelineVersions(p.pipelineId, { sortBy: 'name desc' });
    expect(page).toEqual({ items: [v2, v1], totalSize: 2, nextPageToken: undefined });

    await expect(db.store().createPipelineVersion(newVersion(p.pipelineId, 'v1'))).rejects.toMatchObject({
      name: 'StoreConflictError',
      field: 'name',
    });
    const orphan = newVersion(randomUUID(), 'v1');
    const error = await db.store().createPipelineVersion(orphan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreNotFoundError);
    expect(error).toMatchObject({ entity: 'pipeline', id: orphan.pipelineId });
  });

  test('a version without a platform spec reads back without one', async () => {
    const p = await db.store().createPipeline(newPipeline('plain'));
    const v = await db.store().createPipelineVersion({ ...newVersion(p.pipelineId, 'v1'), platformSpec: undefined });
    expect(v.platformSpec).toBeUndefined();
  });

  test('createPipelineWithVersion writes both, idempotently', async () => {
    const p = newPipeline('together');
    const { pipelineId: _ignored, ...v } = newVersion('', 'v1');
    const first = await db.store().createPipelineWithVersion(p, v);
    expect(first.version.pipelineId).toBe(p.pipelineId);
    expect(await db.store().createPipelineWithVersion(p, v)).toEqual(first);
    expect(await db.count('pipeline_versions', 'WHERE pipeline_id = $1', [p.pipelineId])).toBe(1);
  });

  test('createPipelineWithVersion leaves nothing behind when the version fails', async () => {
    const p = newPipeline('half-written');
    const { pipelineId: _ignored, ...v } = newVersion('', 'v1');
    // PostgreSQL's jsonb rejects NUL characters, so the second insert fails after the first.
    const bad = { ...v, spec: { ...v.spec, pipelineInfo: { name: 'nul\u0000' } } };
    await expect(db.store().createPipelineWithVersion(p, bad)).rejects.toThrow();
    expect(await db.store().getPipeline(p.pipelineId)).toBeUndefined();
  });

  test('deleting a pipeline deletes its versions', async () => {
    const p = await db.store().createPipeline(newPipeline('doomed'));
    const v = await db.store().createPipelineVersion(newVersion(p.pipelineId, 'v1'));
    expect(await db.store().deletePipeline(p.pipelineId)).toBe(true);
    expect(await db.store().deletePipeline(p.pipelineId)).toBe(false);
    expect(await db.store().getPipelineVersion(p.pipelineId, v.pipelineVersionId)).toBeUndefined();
    expect(await db.count('pipeline_versions', 'WHERE pipeline_id = $1', [p.pipelineId])).toBe(0);
  });

  test('deleting a version', async () => {
    const p = await db.store().createPipeline(newPipeline('trim'));
    const v = await db.store().createPipelineVersion(newVersion(p.pipelineId, 'v1'));
    expect(await db.store().deletePipelineVersion(randomUUID(), v.pipelineVersionId)).toBe(false);
    expect(await db.store().deletePipelineVersion(p.pipelineId, v.pipelineVersionId)).toBe(true);
    expect(await db.store().getPipeline(p.pipelineId)).toBeDefined();
  });

  test('listing pipelines pages by name in both directions', async () => {
    const prefix = `list-${randomUUID().slice(0, 4)}`;
    for (const n of ['c', 'a', 'd', 'b', 'e']) await db.store().createPipeline(newPipeline(`${prefix}-${n}`, { namespace: prefix }));
    const all = (await db.store().listPipelines({ pageSize: 1000, sortBy: 'name' })).items.filter((p) => p.namespace === prefix);
    expect(all.map((p) => p.name.slice(-1))).toEqual(['a', 'b', 'c', 'd', 'e']);

    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await db.store().listPipelines({ pageSize: 2, sortBy: 'display_name desc', pageToken });
      names.push(...page.items.map((p) => p.name));
      expect(page.items.length).toBeLessThanOrEqual(2);
      expect(page.totalSize).toBeGreaterThanOrEqual(5);
      pageToken = page.nextPageToken;
    } while (pageToken);
    const onePage = await db.store().listPipelines({ pageSize: 1000, sortBy: 'display_name desc' });
    expect(names).toEqual(onePage.items.map((p) => p.name));
    expect(names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(-1))).toEqual(['e', 'd', 'c', 'b', 'a']);
  });

  test('a version page token is bound to its pipeline', async () => {
    const a = await db.store().createPipeline(newPipeline('token-a'));
    const b = await db.store().createPipeline(newPipeline('token-b'));
    for (const n of ['v1', 'v2']) {
      await db.store().createPipelineVersion(newVersion(a.pipelineId, n));
      await db.store().createPipelineVersion(newVersion(b.pipelineId, n));
    }
    const first = await db.store().listPipelineVersions(a.pipelineId, { pageSize: 1 });
    expect(first.nextPageToken).toBeDefined();
    await expect(db.store().listPipelineVersions(b.pipelineId, { pageSize: 1, pageToken: first.nextPageToken })).rejects.toThrow(
      StoreInputError,
    );
    await expect(db.store().listPipelines({ pageToken: first.nextPageToken })).rejects.toThrow(StoreInputError);
  });
});
