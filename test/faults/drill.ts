import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipelineDocument } from '../../ir/parse';
import { freePort } from '../../stack/free-port';
import { PidFiles } from '../../stack/pid-files';
import { stepWritableDir } from '../support/temp-dirs';

/**
 * What every fault drill shares: the five-step pipeline whose steps record each execution, the
 * launch hold that lets a drill kill something in the instant between a step's spawn and its
 * claim, and the checks that every run SUCCEEDED with each step executed exactly once.
 */

export const FIVE_STEPS = join(__dirname, 'fixtures', 'five-steps.yaml');
export const TASKS = ['step-1', 'step-2', 'step-3', 'step-4', 'step-5'];
export const RUNS = 5;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it returns a value other than undefined or false. */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The inline spec of a run of the five-step pipeline, as the API takes it. */
export function fiveStepsRunBody(dir: string, label: string): string {
  const { spec } = parsePipelineDocument(readFileSync(FIVE_STEPS, 'utf8'));
  return JSON.stringify({ display_name: label, pipeline_spec: spec, runtime_config: { parameters: { dir, seconds: '1' } } });
}

export interface Execution {
  runId: string;
  task: string;
  marker: string;
}

/** Every execution the steps recorded in `dir/executions`. */
export function executions(dir: string): Execution[] {
  const file = join(dir, 'executions');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [runId, task, marker] = line.split(' ');
      return { runId, task, marker };
    });
}

/**
 * Holds every launch between spawn and claim (the runner's test hook) and lets each go at once,
 * unless frozen: then new launches stay held, so a drill can kill a process while a step it
 * spawned has not claimed its launch yet.
 */
export class LaunchGate {
  readonly dir = stepWritableDir('hold');
  private frozen = false;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.timer = setInterval(() => {
      if (!this.frozen) this.releaseAll();
    }, 50);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Lets every held launch go and stops holding new ones. */
  thaw(): void {
    this.frozen = false;
    this.releaseAll();
  }

  /** Launches held now (spawned, not yet let go). */
  held(): string[] {
    const files = readdirSync(this.dir);
    return files.filter((f) => f.endsWith('.held') && !files.includes(f.replace(/\.held$/, '.go'))).map((f) => f.slice(0, -'.held'.length));
  }

  private releaseAll(): void {
    for (const launch of this.held()) writeFileSync(join(this.dir, `${launch}.go`), '');
  }
}

/**
 * The drill's opening: `RUNS` runs created at once, then, at a random point (after 2–10
 * executions), new launches held so that the strike that follows lands between a step's spawn
 * and its claim. Resolves once at least one launch is held.
 */
export async function openDrill(api: DrillApi, gate: LaunchGate, dir: string, label: string): Promise<{ runIds: string[]; first: number; held: string[] }> {
  const runIds = await Promise.all(Array.from({ length: RUNS }, (_, i) => api.createRun(dir, `${label} ${i}`)));
  const first = randomBetween(2, 10);
  await until(`${first} executions`, () => executions(dir).length >= first);
  gate.freeze();
  const held = await until('a launch held between spawn and claim', () => gate.held().length > 0 && gate.held());
  return { runIds, first, held };
}

/**
 * A drill on its own `sluice dev` with the launch gate: started before the test, and afterwards
 * stopped with everything it left running.
 */
export function devDrill(label: string, env: Record<string, string> = {}): { gate: LaunchGate; dev: DevProcess } {
  const gate = new LaunchGate();
  const dev = new DevProcess(label, { SLUICE_TEST_LAUNCH_HOLD_DIR: gate.dir, SLUICE_HEARTBEAT_TIMEOUT_SECONDS: '3', ...env });
  beforeAll(async () => {
    gate.start();
    await dev.start();
  });
  afterAll(async () => {
    gate.stop();
    await dev.cleanUp();
  });
  return { gate, dev };
}

/** The API as a drill uses it: plain fetch with a token (`token()` reads it when needed), no retries, so an outage shows. */
export class DrillApi {
  constructor(
    readonly url: string,
    private readonly token: () => string | undefined,
  ) {}

  private fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const token = this.token();
    return fetch(`${this.url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers } });
  }

  async createRun(dir: string, label: string): Promise<string> {
    const res = await this.post('/runs', fiveStepsRunBody(dir, label));
    const body = (await res.json()) as { run_id?: string };
    if (!res.ok || !body.run_id) throw new Error(`POST /runs → ${res.status}: ${JSON.stringify(body)}`);
    return body.run_id;
  }

  async run(runId: string): Promise<DrillRun> {
    const res = await this.fetch(`/apis/v2beta1/runs/${runId}`);
    if (!res.ok) throw new Error(`GET /runs/${runId} → ${res.status}: ${await res.text()}`);
    return (await res.json()) as DrillRun;
  }

  /** Waits until every run is final; an outage in between (a 503, a refused connection) is waited out. */
  async waitForRuns(runIds: string[], timeoutMs = 180_000): Promise<DrillRun[]> {
    const runs: DrillRun[] = [];
    for (const runId of runIds) {
      runs.push(await until(`run ${runId} to end`, async () => {
        const run = await this.run(runId).catch(() => undefined);
        return run && ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(run.state) ? run : undefined;
      }, timeoutMs));
    }
    return runs;
  }

  async get(path: string): Promise<Response> {
    return this.fetch(`/apis/v2beta1${path}`);
  }

  async post(path: string, body: string): Promise<Response> {
    return this.fetch(`/apis/v2beta1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }
}

export interface DrillRun {
  run_id: string;
  state: string;
  error?: unknown;
  run_details?: { task_details?: Array<{ display_name: string; state: string; attempts?: number; executor_detail?: { failed_main_jobs?: string[] } }> };
}

/**
 * The drill's verdict: every run SUCCEEDED; each of its five steps executed exactly once (no
 * step twice, none missing); and the API records, per run, exactly those five tasks SUCCEEDED,
 * each with one launch. Returns the number of executions counted.
 */
export function expectExactlyOnce(runs: DrillRun[], dir: string): number {
  const seen = executions(dir);
  for (const run of runs) {
    expect({ run: run.run_id, state: run.state, error: run.error }).toEqual({ run: run.run_id, state: 'SUCCEEDED', error: undefined });
    const executed = seen.filter((e) => e.runId === run.run_id).map((e) => e.task).sort();
    expect({ run: run.run_id, executed }).toEqual({ run: run.run_id, executed: TASKS });
    const tasks = (run.run_details?.task_details ?? []).map((t) => ({ task: t.display_name, state: t.state, launches: t.attempts, failed: t.executor_detail?.failed_main_jobs }));
    expect(tasks.sort((a, b) => a.task.localeCompare(b.task))).toEqual(TASKS.map((task) => ({ task, state: 'SUCCEEDED', launches: 1, failed: [] })));
  }
  expect(new Set(seen.map((e) => e.marker)).size).toBe(seen.length);
  expect(seen.length).toBe(runs.length * TASKS.length);
  return seen.length;
}

/** A random integer in [min, max]: where a drill strikes; logged, so a failure can be replayed by hand. */
export function randomBetween(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

export function killHard(pid: number): void {
  process.kill(pid, 'SIGKILL');
}

/** Alive and not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** How many runs the API lists. */
export async function runCount(api: DrillApi): Promise<number> {
  const res = await api.get('/runs?page_size=1');
  if (!res.ok) throw new Error(`GET /runs → ${res.status}`);
  return ((await res.json()) as { total_size: number }).total_size;
}

/** Waits until `/readyz` answers 503 naming `dependency` as down; returns that answer's body. */
export async function untilDown(api: DrillApi, dependency: string): Promise<unknown> {
  return until(`/readyz to report ${dependency} down`, async () => {
    const res = await api.get('/readyz').catch(() => undefined);
    if (res?.status !== 503) return undefined;
    const body = (await res.json()) as { dependencies: Record<string, { status: string }> };
    return body.dependencies[dependency]?.status === 'down' && { retryAfter: res.headers.get('retry-after'), body };
  }, 30_000);
}

export async function untilReady(api: DrillApi): Promise<void> {
  await until('/readyz to answer 200', async () => (await api.get('/readyz').catch(() => undefined))?.ok || undefined, 120_000);
}

/** A pid `sluice dev` recorded for one of its servers (`temporal`, `postgres`). */
export function recordedPid(dataDir: string, name: string): number {
  return (JSON.parse(readFileSync(join(dataDir, 'run', `${name}.pid`), 'utf8')) as { pid: number }).pid;
}

const SLUICE = join(__dirname, '..', '..', 'bin', 'sluice.js');

/**
 * The real `sluice dev` as its own process on a data dir and ports of its own, so that a drill
 * can SIGKILL it, or its Temporal or PostgreSQL, and start it again on the same data.
 */
export class DevProcess {
  child: ChildProcess | undefined;
  readonly dataDir: string;
  private ports: { api: number; temporal: number; ui: number; pg: number } | undefined;
  private starts = 0;

  constructor(label: string, private readonly env: Record<string, string>) {
    this.dataDir = mkdtempSync(join(tmpdir(), `sluice-${label}-`));
    chmodSync(this.dataDir, 0o755); // PostgreSQL runs as its own user when we are root
  }

  get api(): DrillApi {
    // `sluice dev` writes the local user's token at its first start; until then only the probes answer.
    return new DrillApi(`http://127.0.0.1:${this.ports?.api}`, () => (existsSync(this.tokenFile) ? readFileSync(this.tokenFile, 'utf8').trim() : undefined));
  }

  private get tokenFile(): string {
    return join(this.dataDir, 'token');
  }

  logFile(n = this.starts): string {
    return join(this.dataDir, `dev-${n}.log`);
  }

  /** Starts `sluice dev` and resolves once `/readyz` says every dependency is up. */
  async start(): Promise<void> {
    this.ports ??= { api: await freePort(), temporal: await freePort(), ui: await freePort(), pg: await freePort() };
    const { api, temporal, ui, pg } = this.ports;
    this.starts++;
    const log = openSync(this.logFile(), 'a');
    const child = spawn(process.execPath, [SLUICE, 'dev', '--data-dir', this.dataDir, '--api-port', String(api), '--temporal-port', String(temporal),
      '--temporal-ui-port', String(ui), '--postgres-port', String(pg)], { stdio: ['ignore', log, log], env: { ...process.env, CI: 'true', ...this.env } });
    this.child = child;
    await until('sluice dev to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`sluice dev exited ${child.exitCode}:\n${readFileSync(this.logFile(), 'utf8')}`);
      return (await this.api.get('/readyz').then((r) => r.ok, () => false)) || undefined;
    }, 150_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${readFileSync(this.logFile(), 'utf8')}`);
    });
  }

  /** SIGTERM, then resolves with the time it took to exit. */
  async terminate(): Promise<number> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return 0;
    const began = Date.now();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    return Date.now() - began;
  }

  /**
   * `kill -9` of one of the stack's servers (`temporal`, `postgres`); resolves with its pid once
   * `/readyz` reports `dependency` down, with `Retry-After`.
   */
  async killServer(name: string, dependency: string): Promise<number> {
    const pid = recordedPid(this.dataDir, name);
    killHard(pid);
    expect(await untilDown(this.api, dependency)).toMatchObject({ retryAfter: '5' });
    return pid;
  }

  /** `kill -9` of `sluice dev` alone: its Temporal, PostgreSQL and steps live on. */
  async crash(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      killHard(child.pid as number);
      await exited;
    }
  }

  /** After a test: nothing of this stack may stay running (its servers are stopped as the next start would stop them). */
  async cleanUp(): Promise<void> {
    await this.crash();
    await new PidFiles(this.dataDir).stopOrphans(() => undefined);
    // A stack's data (PostgreSQL's cluster above all) is large; the drill's findings are in its assertions.
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  log(): string {
    return Array.from({ length: this.starts }, (_, i) => readFileSync(this.logFile(i + 1), 'utf8')).join('\n');
  }
}
