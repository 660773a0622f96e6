import { randomUUID } from 'node:crypto';
import { StoreConflictError } from '../../store/errors';
import { DEFAULT_EXPERIMENT_ID } from '../../store/ids';
import { at, newRun, useStore } from './fixtures';

const db = useStore('store_experiments');

function newExperiment(displayName: string) {
  return { experimentId: randomUUID(), displayName, description: '', namespace: '' };
}

describe('experiments', () => {
  test('create is idempotent on id; a duplicate display name is a conflict', async () => {
    const input = newExperiment('tuning');
    const created = await db.store().createExperiment(input);
    expect(created).toEqual({ ...input, storageState: 'AVAILABLE', createdAt: expect.any(Date), lastRunCreatedAt: undefined });
    expect(await db.store().createExperiment(input)).toEqual(created);
    expect(await db.store().getExperiment(input.experimentId)).toEqual(created);
    await expect(db.store().createExperiment(newExperiment('tuning'))).rejects.toMatchObject({
      name: 'StoreConflictError',
      entity: 'experiment',
      field: 'displayName',
    });
    await expect(db.store().createExperiment(newExperiment('Default'))).rejects.toThrow(StoreConflictError);
  });

  test('listing includes the Default experiment and sorts by name', async () => {
    await db.store().createExperiment(newExperiment('alpha'));
    const page = await db.store().listExperiments({ sortBy: 'name asc' });
    const names = page.items.map((e) => e.displayName);
    expect(names).toContain('Default');
    expect(names).toEqual((await db.store().listExperiments({ sortBy: 'display_name' })).items.map((e) => e.displayName));
    expect(page.totalSize).toBe(page.items.length);
  });

  test('the Default experiment cannot be deleted; others can, keeping their runs', async () => {
    await expect(db.store().deleteExperiment(DEFAULT_EXPERIMENT_ID)).rejects.toMatchObject({ field: 'experimentId' });
    const e = await db.store().createExperiment(newExperiment('short-lived'));
    const run = await db.store().createRun(newRun({ experimentId: e.experimentId }));
    expect(await db.store().deleteExperiment(e.experimentId)).toBe(true);
    expect(await db.store().deleteExperiment(e.experimentId)).toBe(false);
    expect(await db.store().getRun(run.runId)).toBeDefined();
  });

  test('createRun moves lastRunCreatedAt forward only', async () => {
    const e = await db.store().createExperiment(newExperiment('busy'));
    await db.store().createRun(newRun({ experimentId: e.experimentId, createdAt: at(20) }));
    await db.store().createRun(newRun({ experimentId: e.experimentId, createdAt: at(10) }));
    expect((await db.store().getExperiment(e.experimentId))?.lastRunCreatedAt).toEqual(at(20));
  });

  test('archiving archives the runs and disables the recurring runs; restoring leaves them so', async () => {
    const e = await db.store().createExperiment(newExperiment('archive-me'));
    const run = await db.store().createRun(newRun({ experimentId: e.experimentId }));
    const elsewhere = await db.store().createRun(newRun());
    const recurring = async (experimentId: string) =>
      (await db.store().createRecurringRun({
        recurringRunId: randomUUID(), displayName: 'nightly', description: '', runtimeConfig: {}, maxConcurrency: 1,
        trigger: { periodic_schedule: { interval_second: '60' } }, mode: 'ENABLE', noCatchup: false, experimentId, namespace: '', createdAt: at(0),
      })).recurringRunId;
    const [mine, theirs] = [await recurring(e.experimentId), await recurring(DEFAULT_EXPERIMENT_ID)];
    expect(await db.store().setExperimentStorageState(e.experimentId, 'ARCHIVED', at(30))).toBe(true);
    expect((await db.store().getExperiment(e.experimentId))?.storageState).toBe('ARCHIVED');
    expect((await db.store().getRun(run.runId))?.storageState).toBe('ARCHIVED');
    expect((await db.store().getRun(elsewhere.runId))?.storageState).toBe('AVAILABLE');
    expect(await db.store().getRecurringRun(mine)).toMatchObject({ mode: 'DISABLE', updatedAt: at(30) });
    expect(await db.store().getRecurringRun(theirs)).toMatchObject({ mode: 'ENABLE', updatedAt: at(0) });

    expect(await db.store().setExperimentStorageState(e.experimentId, 'AVAILABLE')).toBe(true);
    expect((await db.store().getExperiment(e.experimentId))?.storageState).toBe('AVAILABLE');
    expect((await db.store().getRun(run.runId))?.storageState).toBe('ARCHIVED');
    expect((await db.store().getRecurringRun(mine))?.mode).toBe('DISABLE');
    expect(await db.store().setExperimentStorageState(randomUUID(), 'ARCHIVED')).toBe(false);
  });
});
