import { randomUUID } from 'node:crypto';
import { StoreNotFoundError } from '../../store/errors';
import type { RetryClaim } from '../../store/types';
import { at, launch, newRun, transition, useStore } from './fixtures';

const db = useStore('store_retries');

/**
 * A run that failed at `root/b`: `root/a` succeeded, `root/b` failed after two launches,
 * `root/c` was skipped, `root/cached` came from cache.
 */
async function failedRun(): Promise<string> {
  const { runId } = await db.store().createRun(newRun({ createdAt: at(0), scheduledAt: at(0) }));
  const store = db.store();
  await store.recordRunState(runId, { state: 'RUNNING', at: at(1) });
  await store.recordLaunch(launch(runId, 'root/a', { task: { taskPath: 'root/a', displayName: 'a', kind: 'CONTAINER', componentName: 'comp-a', state: 'SUCCEEDED', outputParameters: { v: 1 } }, attempt: { attempt: 1, state: 'SUCCEEDED', exitCode: 0 } }));
  const failedB = (n: number, last: boolean) =>
    launch(runId, 'root/b', { task: { taskPath: 'root/b', displayName: 'b', kind: 'CONTAINER', componentName: 'comp-b', state: last ? 'FAILED' : 'RUNNING', error: { message: 'exit 1' } }, attempt: { attempt: n, state: 'FAILED', exitCode: 1, error: { message: 'exit 1' } } });
  await store.recordLaunch(failedB(1, false));
  await store.recordLaunch(failedB(2, true));
  await store.recordLaunch(launch(runId, 'root/cached', {
    task: { taskPath: 'root/cached', displayName: 'cached', kind: 'CONTAINER', componentName: 'comp-cached', state: 'SKIPPED', cache: { status: 'HIT', reason: 'hit' } },
    attempt: undefined,
  }));
  await store.recordTaskTransitions(runId, [transition('root/c', 'SKIPPED', 3, { reason: 'UPSTREAM_FAILED', error: { message: 'upstream failed' } })]);
  await store.recordRunState(runId, { state: 'FAILED', at: at(4), error: { message: 'b failed' } });
  return runId;
}

const claimed = (claim: RetryClaim): Extract<RetryClaim, { claimed: true }> => {
  if (!claim.claimed) throw new Error(`not claimed: ${JSON.stringify(claim)}`);
  return claim;
};

describe('run retries', () => {
  test('a claim reopens the run as its next attempt; a second claim is refused while it runs', async () => {
    const runId = await failedRun();
    const claim = claimed(await db.store().claimRunRetry(runId, at(5)));
    expect(claim).toMatchObject({ attempt: 1, previous: { state: 'FAILED', finishedAt: at(4), error: { message: 'b failed' } } });
    expect(await db.store().claimRunRetry(runId, at(6))).toEqual({ claimed: false, state: 'RUNNING', archived: false });
    const run = await db.store().getRun(runId);
    expect(run).toMatchObject({ state: 'RUNNING', retryCount: 1, finishedAt: undefined, error: undefined });
    expect(run?.stateHistory.map((h) => h.state)).toEqual(['PENDING', 'RUNNING', 'FAILED', 'RUNNING']);

    // The attempt's states are recorded once each, as before; its final state is the run's.
    await db.store().recordRunState(runId, { state: 'RUNNING', at: at(7) });
    await db.store().recordRunState(runId, { state: 'SUCCEEDED', at: at(8) });
    await db.store().recordRunState(runId, { state: 'SUCCEEDED', at: at(9) });
    const done = await db.store().getRun(runId);
    expect(done).toMatchObject({ state: 'SUCCEEDED', finishedAt: at(8) });
    expect(done?.stateHistory.map((h) => h.state)).toEqual(['PENDING', 'RUNNING', 'FAILED', 'RUNNING', 'SUCCEEDED']);
    expect(await db.store().claimRunRetry(runId, at(10))).toEqual({ claimed: false, state: 'SUCCEEDED', archived: false });
  });

  test('concurrent claims: exactly one succeeds', async () => {
    const runId = await failedRun();
    const claims = await Promise.all(Array.from({ length: 5 }, () => db.store().claimRunRetry(runId, new Date())));
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    expect((await db.store().getRun(runId))?.retryCount).toBe(1);
  });

  test('an archived run, a running run and an unknown run cannot be claimed', async () => {
    const archived = await failedRun();
    await db.store().setRunStorageState(archived, 'ARCHIVED');
    expect(await db.store().claimRunRetry(archived, at(5))).toEqual({ claimed: false, state: 'FAILED', archived: true });
    const { runId: running } = await db.store().createRun(newRun());
    await db.store().recordRunState(running, { state: 'RUNNING', at: at(1) });
    expect(await db.store().claimRunRetry(running, at(5))).toEqual({ claimed: false, state: 'RUNNING', archived: false });
    await expect(db.store().claimRunRetry(randomUUID(), at(5))).rejects.toBeInstanceOf(StoreNotFoundError);
  });

  test('releasing a claim restores the run as it was; releasing it again changes nothing', async () => {
    const runId = await failedRun();
    const before = await db.store().getRun(runId);
    const claim = claimed(await db.store().claimRunRetry(runId, at(5)));
    await db.store().releaseRunRetry(runId, claim);
    await db.store().releaseRunRetry(runId, claim);
    expect(await db.store().getRun(runId)).toEqual(before);
    // The next claim takes the same attempt number again.
    expect(claimed(await db.store().claimRunRetry(runId, at(6))).attempt).toBe(1);
  });

  test('reopening resets what did not succeed, keeps what did, and repeating it changes nothing', async () => {
    const runId = await failedRun();
    claimed(await db.store().claimRunRetry(runId, at(5)));
    expect(await db.store().reopenRunTasks(runId, 1, at(6))).toBe(true);
    const first = await db.store().listTasks(runId);
    expect(await db.store().reopenRunTasks(runId, 1, at(7))).toBe(true);
    expect(await db.store().listTasks(runId)).toEqual(first);

    const byPath = Object.fromEntries(first.map((t) => [t.taskPath, t]));
    expect(byPath['root/a']).toMatchObject({ state: 'SUCCEEDED', launchBase: 0, outputs: { parameters: { v: 1 } } });
    expect(byPath['root/cached']).toMatchObject({ state: 'SKIPPED', reason: 'CACHED', launchBase: 0 });
    expect(byPath['root/b']).toMatchObject({ state: 'PENDING', launchBase: 2, attempts: 2, error: undefined, finishedAt: undefined });
    expect(byPath['root/c']).toMatchObject({ state: 'PENDING', launchBase: 0, reason: undefined });
    // The failed launches stay, as the task's earlier attempts.
    expect((await db.store().listTaskAttempts(runId, 'root/b')).map((a) => [a.attempt, a.state])).toEqual([[1, 'FAILED'], [2, 'FAILED']]);

    // A reopened task moves on as any task does.
    await db.store().recordLaunch(launch(runId, 'root/b', { attempt: { attempt: 3, state: 'RUNNING', podName: 'b-3' } }));
    expect(await db.store().getTask(runId, 'root/b')).toMatchObject({ state: 'RUNNING', attempts: 3 });
  });

  test('a retry whose claim is missing makes its attempt the run\'s; a stale attempt writes nothing', async () => {
    const runId = await failedRun();
    // The API released its claim after losing the start's answer, yet the workflow started.
    const claim = claimed(await db.store().claimRunRetry(runId, at(5)));
    await db.store().releaseRunRetry(runId, claim);
    expect(await db.store().reopenRunTasks(runId, 1, at(6))).toBe(true);
    expect(await db.store().getRun(runId)).toMatchObject({ state: 'RUNNING', retryCount: 1 });
    expect((await db.store().getTask(runId, 'root/b'))?.state).toBe('PENDING');

    await db.store().recordRunState(runId, { state: 'FAILED', at: at(7) });
    claimed(await db.store().claimRunRetry(runId, at(8)));
    await db.store().recordLaunch(launch(runId, 'root/b', { attempt: { attempt: 3, state: 'RUNNING', podName: 'b-3' } }));
    expect(await db.store().reopenRunTasks(runId, 1, at(9))).toBe(false);
    expect((await db.store().getTask(runId, 'root/b'))?.state).toBe('RUNNING');
    // Nor may the stale attempt end the run that attempt 2 now runs.
    await db.store().recordRunState(runId, { state: 'FAILED', at: at(10) }, 1);
    expect(await db.store().getRun(runId)).toMatchObject({ state: 'RUNNING', retryCount: 2 });
    await db.store().recordRunState(runId, { state: 'SUCCEEDED', at: at(11) }, 2);
    expect(await db.store().getRun(runId)).toMatchObject({ state: 'SUCCEEDED', retryCount: 2 });
  });
});
