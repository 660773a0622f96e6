import { randomUUID } from 'node:crypto';
import type { RunState } from '../../ir/states';
import { StoreInputError, StoreNotFoundError } from '../../store/errors';
import type { ListOptions, RunFilter, RunRecord } from '../../store/types';
import { at, launch, newRun, useStore } from './fixtures';

const db = useStore('store_runs');

async function newExperimentId(): Promise<string> {
  const experimentId = randomUUID();
  await db.store().createExperiment({ experimentId, displayName: experimentId, description: '', namespace: '' });
  return experimentId;
}

/** Follows page tokens to the end, returning every run id in order. */
async function allPages(filter: RunFilter, opts: ListOptions): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await db.store().listRuns(filter, { ...opts, pageToken });
    ids.push(...page.items.map((r) => r.runId));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return ids;
}

const states = (run: RunRecord | undefined) => run?.stateHistory.map((h) => h.state);

describe('createRun', () => {
  test("a run takes its experiment's namespace, and listings filter by it", async () => {
    const experimentId = randomUUID();
    const namespace = `team-${experimentId.slice(0, 8)}`;
    await db.store().createExperiment({ experimentId, displayName: experimentId, description: '', namespace });
    const run = await db.store().createRun(newRun({ experimentId }));
    expect(run.namespace).toBe(namespace);
    expect(await db.store().getRunNamespace(run.runId)).toBe(namespace);
    expect(await db.store().getRunNamespace(randomUUID())).toBeUndefined();
    expect(await allPages({ namespaces: [namespace] }, { pageSize: 1 })).toEqual([run.runId]);
    expect(await allPages({ namespaces: ['no-such-namespace'] }, {})).toEqual([]);
  });

  test('creating twice returns the stored run and writes one row', async () => {
    const input = newRun({ pipelineId: randomUUID(), pipelineVersionId: randomUUID(), pipelineRoot: '/tmp/root', inputArtifacts: { data: ['artifact-1'], shards: ['a', 'b'] } });
    const first = await db.store().createRun(input);
    expect(first).toEqual({
      ...input,
      pipelineName: 'hello',
      // Its experiment's (created in the single-user namespace above).
      namespace: '',
      platformSpec: undefined,
      error: undefined,
      storageState: 'AVAILABLE',
      finishedAt: undefined,
      retryCount: 0,
      stateHistory: [{ state: 'PENDING', at: input.createdAt, error: undefined }],
    });
    expect(await db.store().createRun({ ...input, displayName: 'other' })).toEqual(first);
    expect(await db.store().getRun(input.runId)).toEqual(first);
    expect(await db.count('runs', 'WHERE run_id = $1', [input.runId])).toBe(1);
    expect(await db.count('run_state_history', 'WHERE run_id = $1', [input.runId])).toBe(1);
  });

  test('concurrent creates of one run write one row', async () => {
    const input = newRun();
    const results = await Promise.all(Array.from({ length: 8 }, () => db.store().createRun(input)));
    expect(new Set(results.map((r) => r.runId)).size).toBe(1);
    expect(await db.count('runs', 'WHERE run_id = $1', [input.runId])).toBe(1);
  });

  test('list parameters survive the jsonb round trip', async () => {
    const parameters = { names: ['a', 'b'], nested: { xs: [1, 2.5, null] }, flag: true };
    const run = await db.store().createRun(newRun({ parameters }));
    expect((await db.store().getRun(run.runId))?.parameters).toEqual(parameters);
  });

  test('a run created without input artifacts has none', async () => {
    const run = await db.store().createRun(newRun());
    expect(run.inputArtifacts).toEqual({});
  });

  test('getRun of an unknown id is undefined', async () => {
    expect(await db.store().getRun('not-a-uuid')).toBeUndefined();
  });
});

describe('recordRunState', () => {
  test('repeated and late changes leave one history row per state and never leave a final state', async () => {
    const run = await db.store().createRun(newRun({ createdAt: at(0) }));
    await db.store().recordRunState(run.runId, { state: 'RUNNING', at: at(1) });
    await db.store().recordRunState(run.runId, { state: 'RUNNING', at: at(2) });
    await db.store().recordRunState(run.runId, { state: 'SUCCEEDED', at: at(3) });
    await db.store().recordRunState(run.runId, { state: 'RUNNING', at: at(4) });
    await db.store().recordRunState(run.runId, { state: 'FAILED', at: at(5), error: { message: 'late' } });
    await db.store().recordRunState(run.runId, { state: 'SUCCEEDED', at: at(6) });

    const stored = await db.store().getRun(run.runId);
    expect(stored).toMatchObject({ state: 'SUCCEEDED', finishedAt: at(3), error: undefined });
    expect(stored?.stateHistory).toEqual([
      { state: 'PENDING', at: at(0), error: undefined },
      { state: 'RUNNING', at: at(1), error: undefined },
      { state: 'SUCCEEDED', at: at(3), error: undefined },
    ]);
  });

  test('a replayed earlier state does not move the run back', async () => {
    const run = await db.store().createRun(newRun({ createdAt: at(0) }));
    await db.store().recordRunState(run.runId, { state: 'RUNNING', at: at(1) });
    await db.store().recordRunState(run.runId, { state: 'CANCELING', at: at(2) });
    await db.store().recordRunState(run.runId, { state: 'RUNNING', at: at(1) });
    await db.store().recordRunState(run.runId, { state: 'PENDING', at: at(0) });
    const stored = await db.store().getRun(run.runId);
    expect(stored?.state).toBe('CANCELING');
    expect(stored?.finishedAt).toBeUndefined();
    expect(states(stored)).toEqual(['PENDING', 'RUNNING', 'CANCELING']);
  });

  test('a failure records its error on the run and in the history', async () => {
    const run = await db.store().createRun(newRun({ createdAt: at(0) }));
    const error = { message: 'step train failed', type: 'StepFailed', details: { exitCode: 2 } };
    await db.store().recordRunState(run.runId, { state: 'FAILED', at: at(7), error });
    const stored = await db.store().getRun(run.runId);
    expect(stored).toMatchObject({ state: 'FAILED', error, finishedAt: at(7) });
    expect(stored?.stateHistory[1]).toEqual({ state: 'FAILED', at: at(7), error });
  });

  test('concurrent identical changes record once', async () => {
    const run = await db.store().createRun(newRun({ createdAt: at(0) }));
    const changes: RunState[] = ['RUNNING', 'RUNNING', 'SUCCEEDED', 'RUNNING', 'SUCCEEDED', 'FAILED'];
    await Promise.all(changes.map((state, i) => db.store().recordRunState(run.runId, { state, at: at(i + 1) })));
    const stored = await db.store().getRun(run.runId);
    expect(new Set(states(stored)).size).toBe(stored?.stateHistory.length);
    expect(['SUCCEEDED', 'FAILED']).toContain(stored?.state);
    expect(stored?.finishedAt).toBeDefined();
  });

  test('an unknown run is an error', async () => {
    await expect(db.store().recordRunState(randomUUID(), { state: 'RUNNING', at: new Date() })).rejects.toThrow(StoreNotFoundError);
  });

  test('a run created in a final state is finished', async () => {
    const run = await db.store().createRun(newRun({ state: 'SKIPPED', createdAt: at(9) }));
    expect(run.finishedAt).toEqual(at(9));
  });
});

describe('listRuns', () => {
  test('filters by experiment, states and storage state, with totalSize', async () => {
    const experimentId = await newExperimentId();
    const runs = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name, i) => db.store().createRun(newRun({ experimentId, displayName: name, createdAt: at(i) }))),
    );
    await db.store().createRun(newRun({ displayName: 'elsewhere' }));
    await db.store().recordRunState(runs[1].runId, { state: 'RUNNING', at: at(10) });
    await db.store().recordRunState(runs[2].runId, { state: 'FAILED', at: at(11) });
    await db.store().setRunStorageState(runs[3].runId, 'ARCHIVED');

    const all = await db.store().listRuns({ experimentId }, {});
    expect(all.totalSize).toBe(4);
    expect(all.items.map((r) => r.displayName)).toEqual(['a', 'b', 'c', 'd']);
    expect(all.items[1].stateHistory.map((h) => h.state)).toEqual(['PENDING', 'RUNNING']);
    // A page of runs carries the pipeline name but never reads a spec.
    expect(all.items[0].pipelineName).toBe('hello');
    expect(all.items[0]).not.toHaveProperty('spec');
    expect(all.items[0]).not.toHaveProperty('platformSpec');

    const active = await db.store().listRuns({ experimentId, states: ['RUNNING', 'FAILED'] }, {});
    expect(active.items.map((r) => r.displayName)).toEqual(['b', 'c']);
    expect(active.totalSize).toBe(2);

    const available = await db.store().listRuns({ experimentId, storageState: 'AVAILABLE', states: [] }, {});
    expect(available.items.map((r) => r.displayName)).toEqual(['a', 'b', 'c']);
    const archived = await db.store().listRuns({ experimentId, storageState: 'ARCHIVED' }, {});
    expect(archived.items.map((r) => r.displayName)).toEqual(['d']);
  });

  test('sorts by created_at, display_name and finished_at in both directions', async () => {
    const experimentId = await newExperimentId();
    const [, z, x] = await Promise.all([
      db.store().createRun(newRun({ experimentId, displayName: 'y', createdAt: at(1) })),
      db.store().createRun(newRun({ experimentId, displayName: 'z', createdAt: at(2) })),
      db.store().createRun(newRun({ experimentId, displayName: 'x', createdAt: at(3) })),
    ]);
    await db.store().recordRunState(x.runId, { state: 'SUCCEEDED', at: at(20) });
    await db.store().recordRunState(z.runId, { state: 'SUCCEEDED', at: at(10) });
    const names = async (sortBy: string) =>
      (await db.store().listRuns({ experimentId }, { sortBy })).items.map((r) => r.displayName);

    expect(await names('created_at')).toEqual(['y', 'z', 'x']);
    expect(await names('created_at desc')).toEqual(['x', 'z', 'y']);
    expect(await names('display_name asc')).toEqual(['x', 'y', 'z']);
    expect(await names('name DESC')).toEqual(['z', 'y', 'x']);
    // y never finished: it sorts last ascending, first descending.
    expect(await names('finished_at')).toEqual(['z', 'x', 'y']);
    expect(await names('finished_at desc')).toEqual(['y', 'x', 'z']);
  });

  test('pages are stable while runs are inserted, and ties are broken by id', async () => {
    const experimentId = await newExperimentId();
    // Half the runs share one creation time, so only the id tie-breaker orders them.
    const originals = await Promise.all(
      Array.from({ length: 25 }, (_, i) => db.store().createRun(newRun({ experimentId, createdAt: at(i < 12 ? 100 : 100 + i) }))),
    );
    for (const sortBy of ['created_at', 'created_at desc']) {
      const seen: string[] = [];
      let pageToken: string | undefined;
      let inserted = 0;
      do {
        const page = await db.store().listRuns({ experimentId }, { pageSize: 4, sortBy, pageToken });
        seen.push(...page.items.map((r) => r.runId));
        pageToken = page.nextPageToken;
        // New runs land at both ends of the order: before and after every original.
        await db.store().createRun(newRun({ experimentId, createdAt: at(50 + inserted) }));
        await db.store().createRun(newRun({ experimentId, createdAt: at(500 + inserted) }));
        inserted += 1;
      } while (pageToken);
      const originalIds = new Set(originals.map((r) => r.runId));
      const seenOriginals = seen.filter((id) => originalIds.has(id));
      expect(new Set(seen).size).toBe(seen.length);
      expect(new Set(seenOriginals)).toEqual(originalIds);
      const direct = await db.store().listRuns({ experimentId }, { pageSize: 1000, sortBy });
      const directOriginals = direct.items.map((r) => r.runId).filter((id) => originalIds.has(id));
      expect(seenOriginals).toEqual(directOriginals);
    }
  });

  test('page size defaults to 20, clamps at 1000, and the last page has no token', async () => {
    const experimentId = await newExperimentId();
    await Promise.all(Array.from({ length: 23 }, (_, i) => db.store().createRun(newRun({ experimentId, createdAt: at(i) }))));
    const first = await db.store().listRuns({ experimentId }, {});
    expect(first.items).toHaveLength(20);
    expect(first.totalSize).toBe(23);
    const rest = await db.store().listRuns({ experimentId }, { pageToken: first.nextPageToken });
    expect(rest.items).toHaveLength(3);
    expect(rest.nextPageToken).toBeUndefined();
    const huge = await db.store().listRuns({ experimentId }, { pageSize: 5000 });
    expect(huge.items).toHaveLength(23);
    expect(await allPages({ experimentId }, { pageSize: 7, sortBy: 'created_at desc' })).toEqual(
      [...first.items, ...rest.items].map((r) => r.runId).reverse(),
    );
  });

  test('bad sort fields, directions, page sizes and tokens are input errors', async () => {
    const experimentId = await newExperimentId();
    await Promise.all([0, 1, 2].map((i) => db.store().createRun(newRun({ experimentId, createdAt: at(i) }))));
    const list = (opts: ListOptions, filter: RunFilter = { experimentId }) => db.store().listRuns(filter, opts);

    const unknownField = await list({ sortBy: 'spec' }).catch((e: unknown) => e);
    expect(unknownField).toBeInstanceOf(StoreInputError);
    expect(unknownField).toMatchObject({ field: 'sortBy', message: expect.stringContaining('"spec"') });
    await expect(list({ sortBy: 'created_at; DROP TABLE runs' })).rejects.toThrow(StoreInputError);
    await expect(list({ sortBy: 'created_at sideways' })).rejects.toMatchObject({ field: 'sortBy' });
    await expect(list({ pageSize: -1 })).rejects.toMatchObject({ field: 'pageSize' });
    await expect(list({ pageSize: 1.5 })).rejects.toMatchObject({ field: 'pageSize' });

    await expect(list({ pageToken: 'not a token' })).rejects.toMatchObject({ field: 'pageToken' });
    await expect(list({ pageToken: Buffer.from('{"e":"runs"}').toString('base64url') })).rejects.toMatchObject({
      field: 'pageToken',
    });
    const { nextPageToken } = await list({ pageSize: 1, sortBy: 'created_at desc' });
    expect(nextPageToken).toBeDefined();
    await expect(list({ pageToken: nextPageToken, sortBy: 'created_at asc' })).rejects.toMatchObject({ field: 'pageToken' });
    await expect(list({ pageToken: nextPageToken }, { experimentId, states: ['RUNNING'] })).rejects.toMatchObject({
      field: 'pageToken',
    });
    const forged = { ...JSON.parse(Buffer.from(nextPageToken as string, 'base64url').toString()), v: 'not a time' };
    await expect(list({ pageToken: Buffer.from(JSON.stringify(forged)).toString('base64url') })).rejects.toMatchObject({
      field: 'pageToken',
    });
    // Without sortBy, the token's own sort applies.
    const next = await list({ pageSize: 1, pageToken: nextPageToken });
    expect(next.items).toHaveLength(1);
  });
});

describe('deleteRun', () => {
  test('deletes the run with its history, tasks, attempts, artifacts and lineage', async () => {
    const run = await db.store().createRun(newRun());
    const runId = run.runId;
    await db.store().recordRunState(runId, { state: 'RUNNING', at: new Date() });
    const model = { name: 'model', uri: `/artifacts/${runId}/train/model`, schemaTitle: 'system.Model', schemaVersion: '0.0.1', metadata: {} };
    await db.store().recordLaunch({ ...launch(runId, 'root/train'), outputArtifacts: { model: [model] } });

    expect(await db.store().deleteRun(runId)).toBe(true);
    expect(await db.store().deleteRun(runId)).toBe(false);
    expect(await db.store().getRun(runId)).toBeUndefined();
    for (const table of ['run_state_history', 'tasks', 'task_attempts', 'artifacts', 'lineage']) {
      expect(await db.count(table, 'WHERE run_id = $1', [runId])).toBe(0);
    }
  });

  test('setRunStorageState reports whether the run exists', async () => {
    const run = await db.store().createRun(newRun());
    expect(await db.store().setRunStorageState(run.runId, 'ARCHIVED')).toBe(true);
    expect((await db.store().getRun(run.runId))?.storageState).toBe('ARCHIVED');
    expect(await db.store().setRunStorageState(randomUUID(), 'ARCHIVED')).toBe(false);
  });
});
