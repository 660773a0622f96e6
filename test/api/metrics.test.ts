import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../stack/free-port';
import { startTestEngine, type TestEngine } from '../support/engine';
import { startStandaloneWorker } from '../support/standalone-worker';

const TWO_STEP = join(__dirname, '..', 'engine', 'fixtures', 'two-step.yaml');

/** The value of the one sample of `name` whose labels include every one of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(match[4]);
  }
  return undefined;
}

/** Task activity attempts that ended their task: inline (most steps) or as `runTask` (steps that outlived the inline window). */
function tasksEnded(text: string): number {
  return ['runTask', 'runTaskInline'].reduce((sum, activity) => sum + (sample(text, 'sluice_activity_duration_seconds_count', { activity, outcome: 'succeeded' }) ?? 0), 0);
}

describe('metrics and structured logs', () => {
  describe('the API with a worker in its process', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await startTestEngine('metrics');
    });
    afterAll(async () => {
      await engine?.stop();
    });

    test('/metrics has runs by state, task durations, request latency, the queue and the SDK worker metrics', async () => {
      const { run_id } = await engine.createRun(TWO_STEP, { times: 2 });
      expect((await engine.waitForRun(run_id)).state).toBe('SUCCEEDED');

      const res = await engine.fetch('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
      const text = await res.text();
      expect(sample(text, 'sluice_runs', { state: 'SUCCEEDED' })).toBe(1);
      expect(tasksEnded(text)).toBeGreaterThanOrEqual(2);
      expect(sample(text, 'sluice_http_request_duration_seconds_count', { method: 'POST', route: '/apis/v2beta1/runs', status_code: '200' })).toBe(1);
      expect(sample(text, 'sluice_task_queue_pollers', { type: 'activity' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'sluice_task_queue_backlog', { type: 'activity' })).toBe(0);
      expect(sample(text, 'sluice_metrics_source_up', { source: 'postgres' })).toBe(1);
      expect(sample(text, 'sluice_metrics_source_up', { source: 'temporal' })).toBe(1);
      // The Temporal SDK's own worker metrics come along.
      expect(text).toMatch(/^temporal_\w+/m);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    });

    test('Prometheus needs a token like any other client', async () => {
      expect((await fetch(`${engine.apiUrl}/metrics`)).status).toBe(401);
    });

    test('ids in paths never become label values', async () => {
      await engine.fetch('/apis/v2beta1/runs/no-such-run');
      const text = await (await engine.fetch('/metrics')).text();
      expect(text).not.toContain('no-such-run');
      expect(sample(text, 'sluice_http_request_duration_seconds_count', { route: '/apis/v2beta1/runs/:run_id', status_code: '404' })).toBeGreaterThanOrEqual(1);
    });
  });

  describe('a standalone worker', () => {
    let engine: TestEngine;
    let logDir: string;
    beforeAll(async () => {
      engine = await startTestEngine('metrics-worker', {}, { inProcessWorker: false });
      logDir = mkdtempSync(join(tmpdir(), 'sluice-metrics-logs-'));
    });
    afterAll(async () => {
      await engine?.stop();
    });

    test('logs one JSON event per task with its run id and task path, and serves /metrics', async () => {
      const address = `127.0.0.1:${await freePort()}`;
      const worker = startStandaloneWorker(engine, logDir, 'worker', { SLUICE_WORKER_METRICS_ADDRESS: address });
      try {
        const { run_id } = await engine.createRun(TWO_STEP, { times: 1 });
        expect((await engine.waitForRun(run_id, 90_000)).state).toBe('SUCCEEDED');

        const text = await (await fetch(`http://${address}/metrics`)).text();
        expect(tasksEnded(text)).toBe(2);
        expect(text).toMatch(/^temporal_\w+/m);

        const events = readFileSync(join(logDir, 'worker.log'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
        const tasks = events.filter((e) => e.msg === 'activity finished' && (e.activity === 'runTask' || e.activity === 'runTaskInline'));
        expect(tasks.map((e) => e.taskPath).sort()).toEqual(['root/consume', 'root/produce']);
        for (const e of tasks) {
          expect(e).toMatchObject({ runId: run_id, outcome: 'succeeded', level: 30, service: 'sluice' });
          expect(typeof e.durationMs).toBe('number');
          expect(typeof e.time).toBe('string');
        }
      } finally {
        worker.kill('SIGTERM');
        await new Promise((r) => worker.once('exit', r));
      }
    });
  });
});
