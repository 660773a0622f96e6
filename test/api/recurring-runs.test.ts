import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parsePipelineDocument } from '../../ir/parse';
import { apiDepsFromConfig, createApp } from '../../api/app';
import { startApiServer } from '../../api/server';
import { RecurringRunService } from '../../api/services/recurring-run-service';
import { RunSchedules } from '../../api/services/run-schedules';
import { SLUICE_DATA_CONVERTER } from '../../config/payload-codec';
import { PgStore } from '../../store/pg-store';
import { startTestEngine, type ApiRun, type TestEngine } from '../support/engine';
import { stepWritableDir } from '../support/temp-dirs';
import { until } from '../support/until';

const API = '/apis/v2beta1';
const spec = (name: string) => parsePipelineDocument(readFileSync(join(__dirname, '..', 'engine', 'fixtures', name), 'utf8')).spec;

interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions index freely into response JSON
  body: any;
}

const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELED', 'SKIPPED'];
type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * A second API replica of the engine's: its own HTTP server, PostgreSQL pool and Temporal
 * connection, on the same database and Temporal namespace (built as the stack builds its API).
 */
async function startReplica(engine: TestEngine): Promise<{ fetch: Fetch; stop(): Promise<void> }> {
  const store = await PgStore.connect(engine.databaseUrl);
  const connection = await Connection.connect({ address: engine.temporalAddress });
  const temporal = new Client({ connection, namespace: engine.config.temporalNamespace, dataConverter: SLUICE_DATA_CONVERTER });
  const server = await startApiServer(createApp(apiDepsFromConfig(engine.config, store, temporal)), { host: '127.0.0.1', port: 0 });
  return {
    fetch: (path, init) => fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${engine.token}`, ...init?.headers } }),
    stop: async () => {
      await server.close();
      await connection.close();
      await store.close();
    },
  };
}
const at = (run: ApiRun, state: string) => Date.parse((run.state_history as { state: string; update_time: string }[]).find((h) => h.state === state)?.update_time ?? '');

/**
 * Recurring runs on the real Temporal dev server's Schedules, with a real worker running the
 * runs they start and a real PostgreSQL recording them.
 */
describe('recurring runs (Temporal Schedules)', () => {
  let engine: TestEngine;
  /** A request to the engine's API, or to another replica's (`via`). */
  const call = async (method: string, path: string, body?: unknown, via?: Fetch): Promise<Reply> => {
    const res = await (via ?? engine.fetch)(`${API}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const ok = async (method: string, path: string, body?: unknown, via?: Fetch) => {
    const reply = await call(method, path, body, via);
    if (reply.status !== 200) throw new Error(`${method} ${path} → ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const runsOf = async (recurringRunId: string): Promise<ApiRun[]> => {
    const filter = JSON.stringify({ predicates: [{ key: 'recurring_run_id', operation: 'EQUALS', string_value: recurringRunId }] });
    return (await ok('GET', `/runs?page_size=100&sort_by=created_at&filter=${encodeURIComponent(filter)}`)).runs ?? [];
  };
  const created: string[] = [];
  const create = async (body: Record<string, unknown>) => {
    const rr = await ok('POST', '/recurringruns', body);
    created.push(rr.recurring_run_id);
    return rr;
  };

  beforeAll(async () => {
    engine = await startTestEngine('recurring', { parallelism: 2 });
  });
  afterAll(async () => {
    for (const id of created) await call('DELETE', `/recurringruns/${id}`);
    await engine?.stop();
  });

  test('an interval schedule starts runs recorded like API runs, with the recurring run id; disable stops them', async () => {
    const rr = await create({
      display_name: 'every two seconds',
      pipeline_spec: spec('two-step.yaml'),
      runtime_config: { parameters: { times: 2 } },
      trigger: { periodic_schedule: { interval_second: '2' } },
      max_concurrency: '1',
    });
    expect(rr).toMatchObject({ mode: 'ENABLE', status: 'ENABLED', max_concurrency: '1', no_catchup: false, namespace: '', trigger: { periodic_schedule: { interval_second: '2' } } });
    const done = await until('two finished runs', async () => {
      const runs = (await runsOf(rr.recurring_run_id)).filter((r) => FINAL.includes(r.state));
      return runs.length >= 2 && runs;
    });
    const run = await engine.getRun(done[0].run_id);
    expect(run).toMatchObject({ state: 'SUCCEEDED', recurring_run_id: rr.recurring_run_id, experiment_id: rr.experiment_id });
    // Temporal names each run `<schedule action's workflow id>-<scheduled time>`; that is the run id.
    expect(run.run_id).toMatch(new RegExp(`^${rr.recurring_run_id}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    expect(run.display_name).toBe(`every two seconds-${run.run_id.slice(rr.recurring_run_id.length + 1)}`);
    expect(run.scheduled_at).toBe(new Date(run.run_id.slice(rr.recurring_run_id.length + 1)).toISOString());
    expect((run.state_history as { state: string }[]).map((h) => h.state)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    expect(run.run_details?.task_details?.map((t) => [t.display_name, t.state])).toEqual(
      expect.arrayContaining([['produce', 'SUCCEEDED'], ['consume', 'SUCCEEDED']]),
    );
    // The colons of such an id work in every route, the custom methods' included.
    const logs = await engine.fetch(`${API}/runs/${encodeURIComponent(run.run_id)}/tasks/consume/logs`);
    expect(await logs.text()).toContain("got 'hello x2' and 2 lines");
    expect(await call('POST', `/runs/${run.run_id}:archive`)).toMatchObject({ status: 200 });
    expect((await engine.getRun(run.run_id)).storage_state).toBe('ARCHIVED');

    await ok('POST', `/recurringruns/${rr.recurring_run_id}:disable`);
    expect(await ok('GET', `/recurringruns/${rr.recurring_run_id}`)).toMatchObject({ mode: 'DISABLE', status: 'DISABLED' });
    const handle = engine.temporal.schedule.getHandle(rr.recurring_run_id);
    expect((await handle.describe()).state.paused).toBe(true);
    // Let a run that was starting as the schedule paused finish, then nothing more may come.
    await until('no active run', async () => (await runsOf(rr.recurring_run_id)).every((r) => FINAL.includes(r.state)));
    const count = (await runsOf(rr.recurring_run_id)).length;
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await runsOf(rr.recurring_run_id)).toHaveLength(count);

    // Deleting removes the schedule and the row; the runs stay.
    await ok('DELETE', `/recurringruns/${rr.recurring_run_id}`);
    expect((await call('GET', `/recurringruns/${rr.recurring_run_id}`)).status).toBe(404);
    await expect(handle.describe()).rejects.toThrow(/not found/i);
    expect(await runsOf(rr.recurring_run_id)).toHaveLength(count);
    expect((await call('DELETE', `/recurringruns/${rr.recurring_run_id}`)).status).toBe(404);
  });

  test('max_concurrency 1: with a slow pipeline no run starts while one is active; a scheduled run can be terminated', async () => {
    const dir = stepWritableDir('recurring-slow');
    const rr = await create({
      display_name: 'slow',
      pipeline_spec: spec('slow.yaml'),
      runtime_config: { parameters: { dir, seconds: 3 } },
      trigger: { periodic_schedule: { interval_second: 1 } },
    });
    const runs = await until('three finished runs', async () => {
      const all = await runsOf(rr.recurring_run_id);
      return all.filter((r) => r.state === 'SUCCEEDED').length >= 3 && all;
    });
    // Each run began only after the one before had finished, although one fell due every second.
    const started = runs.filter((r) => at(r, 'RUNNING')).sort((a, b) => at(a, 'RUNNING') - at(b, 'RUNNING'));
    for (let i = 1; i < started.length; i++) {
      expect(at(started[i], 'RUNNING')).toBeGreaterThanOrEqual(Date.parse(started[i - 1].finished_at as string));
    }
    expect((await engine.temporal.schedule.getHandle(rr.recurring_run_id).describe()).info.runningActions.length).toBeLessThanOrEqual(1);

    const active = await until('an active run', async () => (await runsOf(rr.recurring_run_id)).find((r) => r.state === 'RUNNING'));
    await ok('POST', `/recurringruns/${rr.recurring_run_id}:disable`);
    await ok('POST', `/runs/${active.run_id}:terminate`);
    expect((await engine.waitForRun(active.run_id)).state).toBe('CANCELED');
  });

  test('backfill starts the runs a cron trigger would have started in the range, trigger starts one now', async () => {
    const rr = await create({
      display_name: 'hourly',
      pipeline_spec: spec('two-step.yaml'),
      runtime_config: { parameters: { times: 1 } },
      // KFP's 6 fields: second 0 of minute 0 of every hour.
      trigger: { cron_schedule: { cron: '0 0 * * * *' } },
      mode: 'DISABLE',
    });
    await ok('POST', `/recurringruns/${rr.recurring_run_id}:backfill`, { start_time: '2026-01-01T00:00:00Z', end_time: '2026-01-01T02:30:00Z' });
    const runs = await until('three backfilled runs', async () => {
      const all = await runsOf(rr.recurring_run_id);
      return all.length >= 3 && all.every((r) => FINAL.includes(r.state)) && all;
    });
    expect(runs.map((r) => [r.run_id, r.scheduled_at, r.state])).toEqual(
      ['00', '01', '02'].map((h) => [`${rr.recurring_run_id}-2026-01-01T${h}:00:00Z`, `2026-01-01T${h}:00:00.000Z`, 'SUCCEEDED']),
    );

    await ok('POST', `/recurringruns/${rr.recurring_run_id}:trigger`);
    await until('the triggered run', async () => (await runsOf(rr.recurring_run_id)).length === 4);
  });

  /** Starts `count` triggers at once on each API (the engine's, then `replicas`), and resolves when every run of the recurring run has ended. */
  const triggerAtOnce = async (recurringRunId: string, count: number, replicas: Fetch[] = []): Promise<ApiRun[]> => {
    // At once: Temporal names a scheduled run after its start second, so two in one second would share an id.
    await Promise.all([undefined, ...replicas].flatMap((via) => Array.from({ length: count }, () => ok('POST', `/recurringruns/${recurringRunId}:trigger`, undefined, via))));
    const triggers = count * (1 + replicas.length);
    return until(`${triggers} triggered runs, ended`, async () => {
      const all = await runsOf(recurringRunId);
      return all.length >= triggers && all.every((r) => FINAL.includes(r.state)) && all;
    });
  };
  const onDemand = (displayName: string) =>
    create({ display_name: displayName, pipeline_spec: spec('two-step.yaml'), runtime_config: { parameters: { times: 1 } }, trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } }, mode: 'DISABLE' });

  test('triggers in quick succession each start a run of its own, recorded apart', async () => {
    const rr = await onDemand('on demand');
    const runs = await triggerAtOnce(rr.recurring_run_id, 3);
    expect(runs.map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(new Set(runs.map((r) => r.run_id)).size).toBe(3);
  });

  test('triggers at once through two API replicas on one database and one Temporal each start a run of their own', async () => {
    const rr = await onDemand('on demand, two replicas');
    const replica = await startReplica(engine);
    try {
      const runs = await triggerAtOnce(rr.recurring_run_id, 3, [replica.fetch]);
      expect(runs.map((r) => r.state)).toEqual(Array(6).fill('SUCCEEDED'));
      expect(new Set(runs.map((r) => r.run_id)).size).toBe(6);
    } finally {
      await replica.stop();
    }
  });

  test("a trigger never takes the second of one of the schedule's timed starts", async () => {
    // Every other second is a timed start; a trigger in one of them would share that run's id.
    const rr = await create({ display_name: 'every two seconds, triggered too', pipeline_spec: spec('two-step.yaml'), runtime_config: { parameters: { times: 1 } }, trigger: { periodic_schedule: { interval_second: 2 } } });
    const firstTimed = Math.floor((await engine.temporal.schedule.getHandle(rr.recurring_run_id).describe()).info.nextActionTimes[0].getTime() / 1000);
    const second = (r: ApiRun) => Math.floor(Date.parse(r.scheduled_at as string) / 1000);
    const timed = (r: ApiRun) => second(r) >= firstTimed && (second(r) - firstTimed) % 2 === 0;
    await Promise.all([1, 2, 3].map(() => ok('POST', `/recurringruns/${rr.recurring_run_id}:trigger`)));
    const triggered = await until('the three triggered runs, ended', async () => {
      const found = (await runsOf(rr.recurring_run_id)).filter((r) => !timed(r));
      return found.length >= 3 && found.every((r) => FINAL.includes(r.state)) && found;
    });
    expect(triggered.map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    await ok('POST', `/recurringruns/${rr.recurring_run_id}:disable`);
    // Nor was a timed start lost to a trigger: every one up to the last trigger ran, under its own id.
    const last = Math.max(...triggered.map(second));
    const runs = await runsOf(rr.recurring_run_id);
    const timedSeconds = runs.filter(timed).map(second).filter((s) => s < last);
    expect(timedSeconds).toEqual(Array.from({ length: Math.ceil((last - firstTimed) / 2) }, (_, i) => firstTimed + 2 * i));
    expect(new Set(runs.map((r) => r.run_id)).size).toBe(runs.length);
  });

  test("Temporal's next action times are the times KFP's cron and interval name", async () => {
    const next = async (trigger: Record<string, unknown>) => {
      const rr = await create({ pipeline_spec: spec('two-step.yaml'), runtime_config: { parameters: { times: 1 } }, trigger });
      const times = (await engine.temporal.schedule.getHandle(rr.recurring_run_id).describe()).info.nextActionTimes;
      await ok('DELETE', `/recurringruns/${rr.recurring_run_id}`);
      return times.slice(0, 4).map((t) => t.toISOString());
    };
    const from = '2030-01-01T00:00:00Z'; // a Tuesday
    // Seconds first; Monday 09:00 in Paris is 08:00 UTC in winter.
    expect(await next({ cron_schedule: { cron: '15 0 9 * * MON', start_time: from, time_zone: 'Europe/Paris' } })).toEqual([
      '2030-01-07T08:00:15.000Z', '2030-01-14T08:00:15.000Z', '2030-01-21T08:00:15.000Z', '2030-01-28T08:00:15.000Z',
    ]);
    // Both day fields restricted: the 15th or any Friday, as cron means it.
    expect(await next({ cron_schedule: { cron: '0 12 15 * FRI', start_time: from } })).toEqual([
      '2030-01-04T12:00:00.000Z', '2030-01-11T12:00:00.000Z', '2030-01-15T12:00:00.000Z', '2030-01-18T12:00:00.000Z',
    ]);
    // An interval counts from its start, which itself is not a run.
    expect(await next({ periodic_schedule: { interval_second: 5400, start_time: '2030-01-01T00:00:30Z', end_time: '2030-01-01T05:00:00Z' } })).toEqual([
      '2030-01-01T01:30:30.000Z', '2030-01-01T03:00:30.000Z', '2030-01-01T04:30:30.000Z',
    ]);
  });

  test('bad triggers and settings are refused with 400 naming the field, and nothing is written', async () => {
    const body = { display_name: 'bad', pipeline_spec: spec('two-step.yaml'), runtime_config: { parameters: { times: 1 } } };
    const before = (await ok('GET', '/recurringruns')).total_size;
    const cases: [Record<string, unknown>, string][] = [
      [{ trigger: { cron_schedule: { cron: '0 61 * * * *' } } }, 'trigger.cron_schedule.cron'],
      [{ trigger: { cron_schedule: { cron: '* * *' } } }, 'trigger.cron_schedule.cron'],
      [{ trigger: { cron_schedule: { cron: '0 0 * * * *', time_zone: 'Nowhere/City' } } }, 'trigger.cron_schedule.time_zone'],
      [{ trigger: { periodic_schedule: { interval_second: 0 } } }, 'trigger.periodic_schedule.interval_second'],
      [{ trigger: { periodic_schedule: { interval_second: 'soon' } } }, 'trigger.periodic_schedule.interval_second'],
      [{ trigger: { periodic_schedule: { interval_second: 5, start_time: 'tomorrow' } } }, 'trigger.periodic_schedule.start_time'],
      [{ trigger: { periodic_schedule: { interval_second: 5, start_time: '2026-02-01T00:00:00Z', end_time: '2026-01-01T00:00:00Z' } } }, 'trigger.periodic_schedule.end_time'],
      [{ trigger: {} }, 'trigger.cron_schedule'],
      [{ trigger: { cron_schedule: { cron: '@daily' }, periodic_schedule: { interval_second: 5 } } }, 'trigger.cron_schedule'],
      [{}, 'trigger'],
      [{ trigger: { periodic_schedule: { interval_second: 5 } }, max_concurrency: 2 }, 'max_concurrency'],
      [{ trigger: { periodic_schedule: { interval_second: 5 } }, max_concurrency: 11 }, 'max_concurrency'],
      [{ trigger: { periodic_schedule: { interval_second: 5 } }, runtime_config: { parameters: { times: 'x' } } }, 'runtime_config.parameters.times'],
    ];
    for (const [extra, field] of cases) {
      const reply = await call('POST', '/recurringruns', { ...body, ...extra });
      expect([JSON.stringify(extra), reply.status]).toEqual([JSON.stringify(extra), 400]);
      expect(reply.body.details[0].field_violations.map((v: { field: string }) => v.field)).toContain(field);
    }
    expect((await ok('GET', '/recurringruns')).total_size).toBe(before);
    expect((await call('POST', '/recurringruns/nope:enable')).status).toBe(404);
    expect((await call('POST', '/recurringruns/nope:backfill', { start_time: '2026-01-02T00:00:00Z', end_time: '2026-01-01T00:00:00Z' })).body.details[0].field_violations[0].field).toBe('end_time');
  });

  test('a row whose schedule is missing gets it back; a schedule whose row is gone is deleted', async () => {
    const rr = await create({
      display_name: 'reconciled',
      pipeline_spec: spec('two-step.yaml'),
      runtime_config: { parameters: { times: 1 } },
      trigger: { cron_schedule: { cron: '0 0 0 1 1 *', time_zone: 'Europe/Paris' } },
    });
    const handle = engine.temporal.schedule.getHandle(rr.recurring_run_id);
    // As if the API had crashed between writing the row and creating the schedule.
    await handle.delete();
    expect(await ok('GET', `/recurringruns/${rr.recurring_run_id}`)).toMatchObject({ status: 'ENABLED' });
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Europe/Paris');
    expect(described.state.paused).toBe(false);

    // As if a delete had crashed between removing the row and deleting the schedule.
    await engine.store.deleteRecurringRun(rr.recurring_run_id);
    const service = new RecurringRunService(engine.store, undefined as never, new RunSchedules(engine.temporal, engine.config.taskQueue));
    const { deleted } = await until('the orphan schedule seen by the schedule list', async () => {
      const result = await service.reconcile();
      return result.deleted.length > 0 && result;
    });
    expect(deleted).toEqual([rr.recurring_run_id]);
    await expect(handle.describe()).rejects.toThrow(/not found/i);
  });

  test('archiving the experiment disables its recurring runs; one rebuilt from its row afterwards comes back paused', async () => {
    const experiment = await ok('POST', '/experiments', { display_name: 'recurring-archived' });
    const body = {
      display_name: 'archived-nightly',
      experiment_id: experiment.experiment_id,
      pipeline_spec: spec('two-step.yaml'),
      runtime_config: { parameters: { times: 1 } },
      trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } },
    };
    const rr = await create(body);
    await ok('POST', `/experiments/${experiment.experiment_id}:archive`);
    const handle = engine.temporal.schedule.getHandle(rr.recurring_run_id);
    expect(await ok('GET', `/recurringruns/${rr.recurring_run_id}`)).toMatchObject({ status: 'DISABLED' });
    expect((await handle.describe()).state.paused).toBe(true);
    // As if the schedule were lost: the row's recurring run predates the archive, so it is rebuilt (paused).
    await handle.delete();
    expect(await ok('GET', `/recurringruns/${rr.recurring_run_id}`)).toMatchObject({ status: 'DISABLED' });
    expect((await handle.describe()).state.paused).toBe(true);
    // A new one may not join the archived experiment.
    const refused = await call('POST', '/recurringruns', body);
    expect(refused.status).toBe(400);
    expect(refused.body.error_message).toContain(`experiment_id: experiment "${experiment.experiment_id}" is archived`);
  });

  test('list pages, sorts and filters like the runs list', async () => {
    const experiment = await ok('POST', '/experiments', { display_name: 'recurring-listing' });
    for (const name of ['b-list', 'a-list', 'c-list']) {
      await create({
        display_name: name,
        experiment_id: experiment.experiment_id,
        pipeline_spec: spec('two-step.yaml'),
        runtime_config: { parameters: { times: 1 } },
        trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } },
        mode: name === 'c-list' ? 'DISABLE' : 'ENABLE',
      });
    }
    const q = `experiment_id=${experiment.experiment_id}`;
    const first = await ok('GET', `/recurringruns?${q}&page_size=2&sort_by=display_name`);
    expect(first.recurringRuns.map((r: { display_name: string }) => r.display_name)).toEqual(['a-list', 'b-list']);
    expect(first.total_size).toBe(3);
    const second = await ok('GET', `/recurringruns?${q}&page_size=2&page_token=${first.next_page_token}`);
    expect(second.recurringRuns.map((r: { display_name: string }) => r.display_name)).toEqual(['c-list']);
    const filter = JSON.stringify({ predicates: [{ key: 'status', operation: 'EQUALS', string_value: 'DISABLED' }] });
    const disabled = await ok('GET', `/recurringruns?${q}&filter=${encodeURIComponent(filter)}`);
    expect(disabled.recurringRuns.map((r: { display_name: string }) => r.display_name)).toEqual(['c-list']);
    expect((await call('GET', '/recurringruns?sort_by=colour')).body.details[0].field_violations[0].field).toBe('sort_by');
  });
});
