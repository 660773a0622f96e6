import { randomUUID } from 'node:crypto';
import { DEFAULT_EXPERIMENT_ID } from '../../store/ids';
import { PgStore } from '../../store/pg-store';
import { at, useStore } from './fixtures';

const db = useStore('store_trigger_seconds');

const newRecurringRun = async () =>
  (await db.store().createRecurringRun({
    recurringRunId: randomUUID(), displayName: 'on demand', description: '', runtimeConfig: {}, maxConcurrency: 1,
    trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } }, mode: 'DISABLE', noCatchup: false, experimentId: DEFAULT_EXPERIMENT_ID, namespace: '', createdAt: at(0),
  })).recurringRunId;

describe('claimTriggerSecond', () => {
  test('claims from two stores (two API replicas) at once each get a second of their own', async () => {
    const id = await newRecurringRun();
    const other = await PgStore.connect(db.url());
    try {
      const now = 1_800_000_000;
      const next = (last: number) => Math.max(last + 1, now);
      const claims = await Promise.all([db.store(), other].flatMap((store) => Array.from({ length: 5 }, () => store.claimTriggerSecond(id, next))));
      expect([...claims].sort()).toEqual(Array.from({ length: 10 }, (_, i) => now + i));
    } finally {
      await other.close();
    }
  });

  test('the first claim sees 0; a choice that does not move forward is refused and changes nothing', async () => {
    const id = await newRecurringRun();
    const seen: number[] = [];
    expect(await db.store().claimTriggerSecond(id, (last) => (seen.push(last), 100))).toBe(100);
    await expect(db.store().claimTriggerSecond(id, () => 100)).rejects.toThrow(/after the last claimed \(100\)/);
    expect(await db.store().claimTriggerSecond(id, (last) => (seen.push(last), last + 1))).toBe(101);
    expect(seen).toEqual([0, 100]);
  });

  test('no such recurring run: undefined', async () => {
    expect(await db.store().claimTriggerSecond(randomUUID(), (last) => last + 1)).toBeUndefined();
  });
});
