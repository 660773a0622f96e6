import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Pool } from 'pg';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../config/config';
import { API, startApiHarness, tinySpec, type ApiHarness, type ApiResponse } from '../api/harness';
import { HOSTILE_CASES, LIMITS, type HostileCase, type Seeded } from './cases';

/**
 * The hostile corpus (`cases.ts`) against one API on real PostgreSQL and Temporal: every case
 * gets a 4xx with KFP's JSON error body, promptly, and leaves every table and Temporal as they
 * were. Requests go out in parallel batches; each batch is bracketed by a snapshot of the whole
 * database and of the harness's workflows, and a batch that changed anything is replayed one
 * case at a time to say which case wrote.
 */

/** Every table the API or a run writes, each read whole (the suite's database holds a few rows). */
const TABLES = ['pipelines', 'pipeline_versions', 'experiments', 'runs', 'run_state_history', 'tasks', 'task_attempts', 'artifacts', 'lineage', 'recurring_runs', 'cache_entries'];
/** A case must answer within this, even with the batch's other requests in flight on 2 shared cores. */
const PROMPT_MS = 5000;
const BATCH = 12;

interface Outcome {
  response?: ApiResponse;
  error?: string;
  ms: number;
  /** What changed while the case's batch ran (names of tables, `workflows`); empty when nothing. */
  wrote: string[];
}

let h: ApiHarness;
let pool: Pool;
let seeded: Seeded;
const outcomes = new Map<HostileCase, Outcome>();

async function snapshot(): Promise<Record<string, string>> {
  const tables = await Promise.all(
    TABLES.map(async (table) => {
      const { rows } = await pool.query(`SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS f FROM ${table} t`);
      return [table, rows[0].f as string] as const;
    }),
  );
  const { count } = await h.temporal.workflow.count(`TaskQueue = "${h.taskQueue}"`);
  return { ...Object.fromEntries(tables), workflows: String(count) };
}

function changes(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before).filter((key) => before[key] !== after[key]);
}

async function send(c: HostileCase): Promise<Omit<Outcome, 'wrote'>> {
  const started = performance.now();
  const attempt = () => h.request(c.method, c.path(seeded), { headers: c.headers, body: c.body?.(seeded) });
  try {
    // One retry on a network error: the server closes a connection after answering before it
    // read the whole body (a 413 upload), and fetch may have picked that socket for this request.
    const response = await attempt().catch(attempt);
    return { response, ms: performance.now() - started };
  } catch (err) {
    return { error: String(err), ms: performance.now() - started };
  }
}

beforeAll(async () => {
  h = await startApiHarness('hostile', { inputLimits: LIMITS, uiDir: join(PROJECT_ROOT, 'ui') });
  pool = new Pool({ connectionString: h.databaseUrl, max: 2 });
  const pipeline = await h.upload(`${API}/pipelines/upload?name=hostile-seed`, 'seed.json', JSON.stringify(tinySpec('hostile-seed')));
  const versions = await h.call('GET', `${API}/pipelines/${pipeline.body.pipeline_id}/versions`);
  const experiment = await h.call('POST', `${API}/experiments`, { display_name: 'hostile-seed' });
  const run = await h.call('POST', `${API}/runs`, { display_name: 'seed', pipeline_spec: tinySpec('hostile-seed') });
  // Paused and yearly, so its schedule starts no workflow the final count would see.
  const recurring = await h.call('POST', `${API}/recurringruns`, {
    display_name: 'seed',
    pipeline_spec: tinySpec('hostile-seed'),
    trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } },
    mode: 'DISABLE',
  });
  expect([pipeline.status, versions.status, experiment.status, run.status, recurring.status]).toEqual([200, 200, 200, 200, 200]);
  seeded = {
    pipelineId: pipeline.body.pipeline_id,
    versionId: versions.body.pipeline_versions[0].pipeline_version_id,
    experimentId: experiment.body.experiment_id,
    runId: run.body.run_id,
    recurringRunId: recurring.body.recurring_run_id,
    artifactRoot: h.artifactRoot,
  };
  // A cache entry (as a success would write it), so a hostile clear that went through would show.
  await pool.query(`INSERT INTO cache_entries (namespace, pipeline_name, fingerprint, run_id, task_path, created_at) VALUES ('', 'hostile-seed', $1, $2, 'root/echo', now())`, ['a'.repeat(64), seeded.runId]);
  // Visibility catches up with the seeded run's workflow before the first snapshot counts it.
  for (let i = 0; i < 50 && (await h.temporal.workflow.count(`TaskQueue = "${h.taskQueue}"`)).count < 1; i++) await new Promise((r) => setTimeout(r, 100));

  for (let i = 0; i < HOSTILE_CASES.length; i += BATCH) {
    const batch = HOSTILE_CASES.slice(i, i + BATCH);
    const before = await snapshot();
    const results = await Promise.all(batch.map(send));
    const wrote = changes(before, await snapshot());
    if (wrote.length === 0) {
      batch.forEach((c, j) => outcomes.set(c, { ...results[j], wrote: [] }));
      continue;
    }
    // Something in the batch wrote: replay it case by case to find which. A write the replay does
    // not repeat (the first request took a name, say) stays charged to every case of the batch.
    const replayed = [];
    for (const c of batch) {
      const alone = await snapshot();
      const result = await send(c);
      replayed.push({ c, outcome: { ...result, wrote: changes(alone, await snapshot()) } });
    }
    const found = replayed.some(({ outcome }) => outcome.wrote.length > 0);
    for (const { c, outcome } of replayed) outcomes.set(c, found ? outcome : { ...outcome, wrote: wrote.map((w) => `${w} (in its batch)`) });
  }
}, 600_000);

afterAll(async () => {
  await pool?.end();
  await h?.close();
});

const label = (c: HostileCase) => `${c.route}: ${c.what}`;

test(`the corpus has at least 300 cases across every route (${HOSTILE_CASES.length})`, () => {
  const byRoute = new Map<string, number>();
  for (const c of HOSTILE_CASES) byRoute.set(c.route, (byRoute.get(c.route) ?? 0) + 1);
  console.log(`${HOSTILE_CASES.length} hostile cases by route:\n${[...byRoute].map(([r, n]) => `  ${String(n).padStart(3)}  ${r}`).join('\n')}`);
  expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(300);
  expect(new Set(HOSTILE_CASES.map(label)).size).toBe(HOSTILE_CASES.length);
});

test.each(HOSTILE_CASES.map((c) => [label(c), c] as const))('%s', (_label, c) => {
  const outcome = outcomes.get(c);
  expect(outcome?.error).toBeUndefined();
  const res = outcome?.response as ApiResponse;
  // The message rides along so that a wrong status says why.
  const seen = { status: res.status, message: res.body?.error_message ?? res.text.slice(0, 200) };
  if (c.status !== undefined) expect(seen).toMatchObject({ status: c.status });
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  // KFP's error body, whatever the failure.
  expect(res.body).toEqual(expect.objectContaining({ error_message: expect.any(String), code: expect.any(Number), message: expect.any(String), details: expect.any(Array) }));
  if (c.field !== undefined) {
    const fields: string[] = res.body.details.flatMap((d: { field_violations?: { field: string }[] }) => d.field_violations?.map((v) => v.field) ?? []);
    const named = fields.some((f) => (typeof c.field === 'string' ? f === c.field : (c.field as RegExp).test(f)));
    expect(named ? 'named' : `not named: ${JSON.stringify(fields)} in "${res.body.error_message.slice(0, 300)}"`).toBe('named');
  }
  if (c.message !== undefined) expect(res.body.error_message).toMatch(c.message);
  expect(outcome?.ms).toBeLessThan(PROMPT_MS);
  expect(outcome?.wrote).toEqual([]);
});

test('no workflow was started by any hostile request (after visibility has caught up)', async () => {
  await new Promise((r) => setTimeout(r, 1000));
  expect((await h.temporal.workflow.count(`TaskQueue = "${h.taskQueue}"`)).count).toBe(1);
});

describe('what used to be accepted wrongly is now right', () => {
  test('an integer parameter of 2^53 - 1 is stored exactly, and 2^63 was refused above', async () => {
    const spec = tinySpec('exact-int', { n: { parameterType: 'NUMBER_INTEGER' } });
    const res = await h.call('POST', `${API}/runs`, { display_name: 'exact', pipeline_spec: spec, runtime_config: { parameters: { n: Number.MAX_SAFE_INTEGER } } });
    expect(res.status).toBe(200);
    expect((await h.store.getRun(res.body.run_id))?.parameters).toEqual({ n: 9007199254740991 });
    expect((await h.workflowInput(res.body.run_id)).parameters).toEqual({ n: 9007199254740991 });
  });

  test('a pipeline_root inside the artifact root is accepted, normalised', async () => {
    const res = await h.call('POST', `${API}/runs`, {
      display_name: 'rooted',
      pipeline_spec: tinySpec('rooted'),
      runtime_config: { pipeline_root: `file://${h.artifactRoot}/team-a/../team-b` },
    });
    expect(res.status).toBe(200);
    expect((await h.store.getRun(res.body.run_id))?.pipelineRoot).toBe(join(h.artifactRoot, 'team-b'));
  });

  test('YAML with a few aliases (as PyYAML writes shared values) still uploads', async () => {
    const spec = tinySpec('aliased');
    const text = YAML.stringify({ ...spec, deploymentSpec: { executors: { 'exec-echo': { container: { image: 'python:3.11', command: ['echo', 'hello'] } } } } })
      .replace('image: python:3.11', 'image: &img python:3.11');
    const res = await h.upload(`${API}/pipelines/upload?name=aliased`, 'aliased.yaml', `${text}\n`);
    expect(res.status).toBe(200);
  });

  test('a gzip-compressed JSON body is read (Content-Encoding gzip is supported)', async () => {
    const res = await h.request('POST', `${API}/experiments`, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ display_name: 'compressed' })),
    });
    expect(res.status).toBe(200);
    expect(res.body.display_name).toBe('compressed');
  });

  test('a name is stored as given, surrounding spaces and all, when it is not only whitespace', async () => {
    const res = await h.call('POST', `${API}/experiments`, { display_name: ' padded ' });
    expect(res.status).toBe(200);
    expect(res.body.display_name).toBe(' padded ');
  });
});
