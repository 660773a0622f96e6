import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../config/config';
import { startTestEngine, type ApiTask, type TestEngine } from '../support/engine';
import { saySkipped } from '../support/say-skipped';

const PYTHON = join(PROJECT_ROOT, '.venv', 'bin', 'python');

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine('kfp_client_full');
});

afterAll(async () => {
  await engine?.stop();
});

interface Report {
  ok: boolean;
  experiments: { listed: number };
  pipeline_id: string;
  runs: { versioned: string; cached: string; uncached: string; sleepy: string };
  archived_recurring_run: string;
}

/**
 * The official Python client against the whole stack: every call a user's script makes, from
 * experiments to deleting the pipeline, each asserted in Python on what the API answered.
 */
test('kfp.Client drives experiments, pipelines, runs and recurring runs end to end', async () => {
  if (!existsSync(PYTHON)) {
    saySkipped(`the kfp.Client session: no Python venv at ${PYTHON} (npm run setup creates it)`);
    return;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-kfp-client-'));
  const session = join(__dirname, 'kfp_client_full_session.py');
  let stdout: string;
  try {
    // Asynchronous on purpose: the API answering the client runs in this very process.
    ({ stdout } = await promisify(execFile)(PYTHON, [session, engine.apiUrl, engine.token, workDir], { timeout: 300_000 }));
  } catch (err) {
    const { stdout: out, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`the kfp.Client session failed:\n${out ?? ''}\n${stderr ?? ''}`);
  }
  // kfp.Client prints a link per call; the session's report is the last line.
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Report;
  expect(report).toMatchObject({ ok: true, experiments: { listed: 3 } });

  // What kfp's models drop: each container task's cache decision.
  const cacheOf = async (runId: string) => {
    const run = await engine.getRun(runId);
    const tasks = (run.run_details?.task_details ?? []).filter((t: ApiTask) => t.display_name.startsWith('add'));
    return tasks.map((t) => (t.cache as { status: string } | undefined)?.status).sort();
  };
  expect(await cacheOf(report.runs.versioned)).toEqual(['MISS', 'MISS']);
  expect(await cacheOf(report.runs.cached)).toEqual(['HIT', 'HIT']);
  expect(await cacheOf(report.runs.uncached)).toEqual(['DISABLED', 'DISABLED']);

  // Archiving its experiment disabled the recurring run: its Temporal Schedule is paused.
  const schedule = engine.temporal.schedule.getHandle(report.archived_recurring_run);
  try {
    expect((await schedule.describe()).state.paused).toBe(true);
  } finally {
    await schedule.delete();
  }
});
