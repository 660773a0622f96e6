import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { PipelineTaskSpec } from '../../ir/types';
import { startTestEngine, taskByName, type ApiRun, type ApiTask, type TestEngine } from '../support/engine';
import { stepWritableDir } from '../support/temp-dirs';
import { cli } from '../cli/harness';

const FIXTURE = join(__dirname, 'fixtures', 'cached-steps.yaml');

/** What the steps of a run under `dir` executed, in order. */
const executions = (dir: string): string[] => (existsSync(join(dir, 'executions.log')) ? readFileSync(join(dir, 'executions.log'), 'utf8').trim().split('\n') : []);

/** The fixture with some tasks' `cachingOptions` replaced, as a file `createRun` reads. */
function specWith(dir: string, caching: Record<string, PipelineTaskSpec['cachingOptions']>): string {
  const spec = parse(readFileSync(FIXTURE, 'utf8'));
  for (const [task, options] of Object.entries(caching)) spec.root.dag.tasks[task].cachingOptions = options;
  const file = join(dir, `spec-${Object.keys(caching).join('-')}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

interface CacheField {
  status: string;
  reason: string;
  fingerprint?: string;
  cached_from_run_id?: string;
  cached_from_task_id?: string;
  cached_from_task_path?: string;
}
const cacheOf = (task: ApiTask) => task.cache as CacheField | undefined;

describe('task cache, on by default', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('cache');
  });
  afterAll(async () => {
    await engine?.stop();
  });

  const run = async (params: Record<string, unknown>, file = FIXTURE): Promise<ApiRun> => {
    const { run_id } = await engine.createRun(file, params);
    const done = await engine.waitForRun(run_id);
    expect(done.state).toBe('SUCCEEDED');
    return done;
  };
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await engine.fetch(`/apis/v2beta1${path}`, init);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  test('a second identical run is served from cache: nothing executes, outputs and lineage are the first run\'s', async () => {
    const dir = stepWritableDir('cache-twice');
    const first = await run({ dir, word: 'hello' });
    expect(executions(dir)).toEqual(['make hello', 'use']);
    for (const name of ['make', 'use']) {
      expect(cacheOf(taskByName(first, name))).toMatchObject({ status: 'MISS', reason: expect.stringContaining('no earlier successful execution') });
    }

    const second = await run({ dir, word: 'hello' });
    expect(executions(dir)).toEqual(['make hello', 'use']);
    for (const name of ['make', 'use']) {
      const [was, now] = [taskByName(first, name), taskByName(second, name)];
      // KFP's API shows a cached task as SKIPPED; state_reason and cache say why.
      expect(now).toMatchObject({ state: 'SKIPPED', state_reason: 'CACHED', attempts: 0, output_parameters: was.output_parameters, outputs: was.outputs });
      expect(cacheOf(now)).toEqual({
        status: 'HIT',
        reason: expect.stringContaining(`of run ${first.run_id}`),
        fingerprint: cacheOf(was)?.fingerprint,
        cached_from_run_id: first.run_id,
        cached_from_task_id: was.task_id,
        cached_from_task_path: `root/${name}`,
      });
    }
    expect(taskByName(second, 'use').output_parameters).toEqual({ summary: 'made hello, 2 lines' });
    // Lineage: the hit links the first run's artifact as its output, which keeps its producer.
    const [artifactId] = (taskByName(second, 'make').outputs as Record<string, { artifact_ids: string[] }>).data.artifact_ids;
    const lineage = await engine.store.listLineage(second.run_id);
    expect(lineage).toEqual(expect.arrayContaining([
      { artifactId, runId: second.run_id, taskPath: 'root/make', direction: 'OUTPUT', key: 'data' },
      { artifactId, runId: second.run_id, taskPath: 'root/use', direction: 'INPUT', key: 'data' },
    ]));
    expect(await engine.store.getArtifact(artifactId)).toMatchObject({ runId: first.run_id, producerTaskPath: 'root/make' });
    expect(await engine.store.listTaskAttempts(second.run_id)).toEqual([]);
  });

  test('a changed parameter misses; enableCache false runs; downstream tasks read a hit\'s outputs', async () => {
    const dir = stepWritableDir('cache-changes');
    await run({ dir, word: 'one' });
    await run({ dir, word: 'two' });
    expect(executions(dir)).toEqual(['make one', 'use', 'make two', 'use']);

    const third = await run({ dir, word: 'one' }, specWith(dir, { use: {} }));
    expect(executions(dir)).toEqual(['make one', 'use', 'make two', 'use', 'use']);
    expect(taskByName(third, 'make').state).toBe('SKIPPED');
    expect(taskByName(third, 'use')).toMatchObject({ state: 'SUCCEEDED', output_parameters: { summary: 'made one, 2 lines' } });
    expect(cacheOf(taskByName(third, 'use'))).toEqual({ status: 'DISABLED', reason: expect.stringContaining('cachingOptions.enableCache') });
  });

  test('an entry whose output artifacts are gone is a miss, and the new success replaces it', async () => {
    const dir = stepWritableDir('cache-gone');
    const first = await run({ dir, word: 'gone' });
    const [artifactId] = (taskByName(first, 'make').outputs as Record<string, { artifact_ids: string[] }>).data.artifact_ids;
    rmSync((await engine.store.getArtifact(artifactId))!.uri, { recursive: true, force: true });

    const second = await run({ dir, word: 'gone' });
    expect(executions(dir)).toEqual(['make gone', 'use', 'make gone', 'use']);
    expect(cacheOf(taskByName(second, 'make'))).toMatchObject({ status: 'MISS', reason: expect.stringContaining('is gone') });
    const third = await run({ dir, word: 'gone' });
    expect(cacheOf(taskByName(third, 'make'))).toMatchObject({ status: 'HIT', cached_from_run_id: second.run_id });
    expect(executions(dir)).toHaveLength(4);
  });

  test('a custom cacheKey is the key: other inputs no longer matter', async () => {
    const dir = stepWritableDir('cache-custom');
    const file = specWith(dir, { make: { enableCache: true, cacheKey: 'v1' } });
    const first = await run({ dir, word: 'a' }, file);
    const second = await run({ dir, word: 'b' }, file);
    // use's inputs are the same message and artifact, so it hits the first run's use too.
    expect(executions(dir)).toEqual(['make a', 'use']);
    expect(cacheOf(taskByName(second, 'make'))).toMatchObject({ status: 'HIT', cached_from_run_id: first.run_id, reason: expect.stringContaining('custom cache key') });
    expect(taskByName(second, 'make').output_parameters).toEqual({ message: 'made a' });
  });

  test('two identical runs at once both miss and both run; one entry remains, and the next run hits it', async () => {
    const dir = stepWritableDir('cache-concurrent');
    // make pauses, so neither finishes before the other has looked the cache up.
    const ids = await Promise.all([0, 1].map(() => engine.createRun(FIXTURE, { dir, word: 'twin', pause: 2 })));
    const runs = await Promise.all(ids.map(({ run_id }) => engine.waitForRun(run_id)));
    expect(runs.map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(executions(dir).filter((line) => line === 'make twin')).toHaveLength(2);
    const fingerprint = cacheOf(taskByName(runs[0], 'make'))?.fingerprint;
    expect(cacheOf(taskByName(runs[1], 'make'))?.fingerprint).toBe(fingerprint);

    const listed = await api<{ entries: Array<{ run_id: string; task_path: string }>; total_size: number }>(`/cache/entries?fingerprint=${fingerprint}`);
    expect(listed.total_size).toBe(1);
    expect(ids.map((r) => r.run_id)).toContain(listed.entries[0].run_id);
    const next = await run({ dir, word: 'twin', pause: 2 });
    expect(cacheOf(taskByName(next, 'make'))).toMatchObject({ status: 'HIT', cached_from_run_id: listed.entries[0].run_id });
  });

  test('the API lists entries and clears them; a cleared entry misses', async () => {
    const dir = stepWritableDir('cache-clear');
    const first = await run({ dir, word: 'clear' });
    const fingerprint = cacheOf(taskByName(first, 'make'))?.fingerprint;
    const listed = await api<{ entries: Array<Record<string, unknown>>; total_size: number }>('/cache/entries?pipeline_name=cached-steps&page_size=1000');
    expect(listed.entries).toContainEqual({
      namespace: '',
      pipeline_name: 'cached-steps',
      fingerprint,
      run_id: first.run_id,
      task_id: taskByName(first, 'make').task_id,
      task_path: 'root/make',
      create_time: expect.any(String),
    });
    expect(await api(`/cache/entries?fingerprint=${fingerprint}`, { method: 'DELETE' })).toEqual({ deleted_count: 1 });
    expect(await api(`/cache/entries?fingerprint=${fingerprint}`, { method: 'DELETE' })).toEqual({ deleted_count: 0 });
    const second = await run({ dir, word: 'clear' });
    expect(cacheOf(taskByName(second, 'make'))?.status).toBe('MISS');
    // use's entry was not cleared: its input is the new make's artifact, so it missed too.
    expect(executions(dir)).toEqual(['make clear', 'use', 'make clear', 'use']);
    const bad = await engine.fetch('/apis/v2beta1/cache/entries?page_size=5000');
    expect(bad.status).toBe(400);
  });

  test('sluice cache list shows the entries; sluice cache clear deletes a pipeline\'s, and its next run executes', async () => {
    const dir = stepWritableDir('cache-cli');
    const first = await run({ dir, word: 'cli' });
    const listed = await cli(['--api', engine.apiUrl, '--token', engine.token, 'cache', 'list', '--pipeline', 'cached-steps', '--limit', '1000', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ run_id: first.run_id, task_path: 'root/make' }));
    const table = await cli(['--api', engine.apiUrl, '--token', engine.token, 'cache', 'list']);
    expect(table.stdout).toMatch(/^PIPELINE\s+FINGERPRINT\s+RUN ID\s+TASK\s+CREATED/);
    expect(table.stdout).toContain('cached-steps');

    const cleared = await cli(['--api', engine.apiUrl, '--token', engine.token, 'cache', 'clear', '--pipeline', 'cached-steps']);
    expect(cleared).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Deleted \d+ cache entries/) });
    expect(JSON.parse((await cli(['--api', engine.apiUrl, '--token', engine.token, 'cache', 'list', '--json'])).stdout)).toEqual([]);
    await run({ dir, word: 'cli' });
    expect(executions(dir)).toEqual(['make cli', 'use', 'make cli', 'use']);
  });

  test('a run in another namespace misses what the shared namespace cached; the cache routes see only the caller\'s namespaces', async () => {
    const dir = stepWritableDir('cache-namespaces');
    const shared = await run({ dir, word: 'scoped' });
    const experiment = await api<{ experiment_id: string }>('/experiments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ display_name: 'cache team-a', namespace: 'team-a' }) });
    const inTeam = async (): Promise<ApiRun> => {
      const body = { display_name: 'cache team-a run', experiment_id: experiment.experiment_id, pipeline_spec: parse(readFileSync(FIXTURE, 'utf8')), runtime_config: { parameters: { dir, word: 'scoped' } } };
      const { run_id } = await api<{ run_id: string }>('/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const done = await engine.waitForRun(run_id);
      expect(done.state).toBe('SUCCEEDED');
      return done;
    };
    const first = await inTeam();
    // Same pipeline, same fingerprint, another namespace: nothing of the shared run is reused.
    expect(cacheOf(taskByName(first, 'make'))).toMatchObject({ status: 'MISS', fingerprint: cacheOf(taskByName(shared, 'make'))?.fingerprint, reason: expect.stringContaining('namespace team-a') });
    const second = await inTeam();
    expect(cacheOf(taskByName(second, 'make'))).toMatchObject({ status: 'HIT', cached_from_run_id: first.run_id });
    expect(executions(dir)).toEqual(['make scoped', 'use', 'make scoped', 'use']);

    // A token of team-b sees and clears none of it; asking for team-a is 403.
    const created = await api<{ token: string }>('/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cache team-b', scope: 'write', namespaces: ['team-b'] }) });
    const asB = (path: string, init?: RequestInit) => engine.fetch(`/apis/v2beta1${path}`, { ...init, headers: { authorization: `Bearer ${created.token}` } });
    expect(await (await asB('/cache/entries')).json()).toEqual({ entries: [], total_size: 0 });
    expect(await (await asB('/cache/entries', { method: 'DELETE' })).json()).toEqual({ deleted_count: 0 });
    expect((await asB('/cache/entries?namespace=team-a')).status).toBe(403);
    expect((await asB('/cache/entries?namespace=team-a', { method: 'DELETE' })).status).toBe(403);
    const teamA = await api<{ entries: Array<{ namespace: string; run_id: string }> }>('/cache/entries?namespace=team-a');
    expect(teamA.entries.map((e) => e.namespace)).toEqual(['team-a', 'team-a']);
    expect(teamA.entries.every((e) => e.run_id === first.run_id)).toBe(true);
  });

  test('sluice run --no-cache executes every task, as kfp.Client(enable_caching=False) does', async () => {
    const dir = stepWritableDir('cache-no-cache');
    await run({ dir, word: 'fresh' });
    const result = await cli(['--api', engine.apiUrl, '--token', engine.token, 'run', FIXTURE, '-p', `dir=${dir}`, '-p', 'word=fresh', '--no-cache', '--wait']);
    expect(result.code).toBe(0);
    expect(executions(dir)).toEqual(['make fresh', 'use', 'make fresh', 'use']);
  });
});

describe('task cache switched off for the deployment', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('cache-off', { cacheEnabled: false });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  test('every task runs and no entry is written', async () => {
    const dir = stepWritableDir('cache-off');
    for (let i = 0; i < 2; i++) {
      const { run_id } = await engine.createRun(FIXTURE, { dir, word: 'off' });
      const done = await engine.waitForRun(run_id);
      expect(done.state).toBe('SUCCEEDED');
      expect(cacheOf(taskByName(done, 'make'))).toEqual({ status: 'DISABLED', reason: expect.stringContaining('SLUICE_CACHE_ENABLED=false') });
    }
    expect(executions(dir)).toEqual(['make off', 'use', 'make off', 'use']);
    expect((await engine.store.listCacheEntries({}, 10)).totalSize).toBe(0);
  });
});
