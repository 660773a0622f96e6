import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../config/config';
import { startApiHarness, tinySpec, type ApiHarness } from './harness';
import { saySkipped } from '../support/say-skipped';

const PYTHON = join(PROJECT_ROOT, '.venv', 'bin', 'python');

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness('api_kfp_client');
});

afterAll(async () => {
  await h?.close();
});

/** The official Python client is the compatibility contract: design decision 8. */
test('kfp.Client uploads, looks up, runs, lists and terminates, and manages recurring runs through the API', async () => {
  if (!existsSync(PYTHON)) {
    saySkipped(`the kfp.Client session: no Python venv at ${PYTHON} (npm run setup creates it)`);
    return;
  }
  const file = join(h.artifactRoot, 'adder.yaml');
  const ints = { a: { parameterType: 'NUMBER_INTEGER' }, b: { parameterType: 'NUMBER_INTEGER' } };
  const spec = tinySpec('adder', ints);
  // As kfp's compiler writes every task unless told otherwise.
  for (const task of Object.values(spec.root.dag.tasks)) Object.assign(task, { cachingOptions: { enableCache: true } });
  writeFileSync(file, YAML.stringify(spec));
  // Asynchronous on purpose: the API answering the client runs in this very process.
  const { stdout } = await promisify(execFile)(PYTHON, [join(__dirname, 'kfp_client_session.py'), h.url, file, h.token], { timeout: 90_000 });
  // kfp.Client prints a link per call; the session's report is the last line.
  const seen = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  expect(seen).toMatchObject({
    healthz: { multi_user: false },
    anonymous: 401,
    pipeline_name: 'kfp-client-pipeline',
    pipeline_id_by_name: true,
    versions: 2,
    experiment_reused: true,
    run_state: 'PENDING',
    runs_in_experiment: 3,
    state_after_terminate: 'CANCELING',
    bad_run: { status: 400, message: 'invalid runtime parameters: runtime_config.parameters.a: expected an integer, got "x"' },
    recurring: { status: 'ENABLED', cron: '0 0 9 ? * 2-6', no_catchup: true, version: true },
    periodic: { status: 'DISABLED', interval: '3600' },
    recurring_listed: { total: 2, first: 'kfp-periodic', more: true },
    recurring_after_disable: 'DISABLED',
    recurring_after_enable: 'ENABLED',
    deleted_recurring: 404,
    bad_cron: { status: 400, field: 'trigger.cron_schedule.cron' },
  });
  // Each recurring run is a Temporal Schedule: weekdays at 09:00:00 UTC, paused only while disabled.
  const schedule = h.temporal.schedule.getHandle(seen.recurring_id);
  try {
    const described = await schedule.describe();
    expect(described.state.paused).toBe(false);
    expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 9, end: 9, step: 1 }], dayOfWeek: [{ start: 'TUESDAY', end: 'SATURDAY', step: 1 }] });
    expect(described.policies.overlap).toBe('BUFFER_ONE');
    await expect(h.temporal.schedule.getHandle(seen.periodic_id).describe()).rejects.toThrow(/not found/i);
  } finally {
    await schedule.delete();
  }
  const cached = await h.workflowInput(seen.package_run_id);
  expect(cached.parameters).toEqual({ a: 3, b: 4 });
  for (const task of Object.values(cached.spec.root.dag.tasks)) expect(task.cachingOptions?.enableCache).toBe(true);
  // enable_caching=False reaches the workflow as every task's flag (protobuf's false: absent), which turns its cache plan off.
  const uncached = (await h.workflowInput(seen.uncached_run_id)).spec;
  for (const task of Object.values(uncached.root.dag.tasks)) expect(task.cachingOptions?.enableCache ?? false).toBe(false);
});
