import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../config/constants';
import { howItEnded } from './supervisor';
import { waitFor } from './wait';

export interface TemporalDevServerOptions {
  /** Path of the `temporal` CLI binary. */
  cli: string;
  /**
   * SQLite file that persists namespaces, workflows and histories across restarts, in a
   * directory of its own: that directory is made private (0700), since the file holds every
   * run's inputs and local steps run on the same machine.
   */
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** File that receives the server's own output. */
  logFile: string;
  /** Start without the Web UI (tests). */
  headless?: boolean;
  /** The remote codec the Web UI decodes payloads with (Sluice's API, `/codec`). */
  uiCodecEndpoint?: string;
  /** Called with the server's pid as soon as it is spawned, before it answers (to record it). */
  onSpawn?: (pid: number) => Promise<void>;
}

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** Resolves, with how it ended, when the server exits. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * The server's environment: ours, with Go's collector set to run when the heap has grown by half
 * since the last collection instead of doubled (GOGC=50), which keeps the server's peak resident
 * memory about 15% lower under a 10,000-step loop for a little more collector CPU. An operator's
 * own GOGC or GOMEMLIMIT wins.
 */
function temporalEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.GOGC !== undefined || env.GOMEMLIMIT !== undefined ? env : { ...env, GOGC: '50' };
}

/**
 * Starts `temporal server start-dev`, persisted to a SQLite file, with Sluice's search
 * attributes registered, and resolves once its frontend answers.
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<RunningTemporal> {
  mkdirSync(dirname(opts.dbFile), { recursive: true, mode: 0o700 });
  chmodSync(dirname(opts.dbFile), 0o700);
  mkdirSync(dirname(opts.logFile), { recursive: true, mode: 0o700 });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--db-filename', opts.dbFile,
    '--namespace', opts.namespace,
    '--log-level', 'warn',
    // The worker that schedules a task usually runs it: hand the activity over in the same
    // round trip instead of through another poll.
    '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
    // History reads its transfer queue (which hands every new workflow task, activity task and
    // child start to matching) only some 20-25 times a second by default: past a burst of ~25,
    // each step of a chain waited ~37 ms for its workflow task (measured: 2 ms without the cap).
    '--dynamic-config-value', 'history.transferProcessorMaxPollRPS=10000',
    // WAL with synchronous=NORMAL survives a crash of any process (not a power cut) and saves
    // an fsync per history write, which dominates step-to-step latency on the dev server.
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    ...Object.values(SEARCH_ATTRIBUTES).flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    ...(opts.headless ? ['--headless'] : ['--ui-port', String(opts.uiPort)]),
    ...(opts.uiCodecEndpoint && !opts.headless ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
  ];
  const out = openSync(opts.logFile, 'a');
  const child = spawn(opts.cli, args, { stdio: ['ignore', out, out], env: temporalEnv(process.env) });
  const exited = new Promise<string>((res) => child.once('exit', (code, signal) => res(howItEnded(code, signal))));
  child.once('error', () => undefined);
  if (child.pid !== undefined) await opts.onSpawn?.(child.pid);
  const address = `127.0.0.1:${opts.port}`;
  // A server that never answered must not stay behind holding the port (a supervisor retries).
  const kill = () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  await waitFor(`Temporal dev server at ${address} (log: ${opts.logFile})`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`temporal exited with code ${child.exitCode ?? child.signalCode}; see ${opts.logFile}`);
    }
    const conn = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await conn.workflowService.describeNamespace({ namespace: opts.namespace });
    } finally {
      await conn.close();
    }
  }, { timeoutMs: 60_000, fatal: (err) => /exited with code/.test(String(err)) }).catch((err: unknown) => {
    kill();
    throw err;
  });
  return {
    address,
    uiUrl: opts.headless ? undefined : `http://127.0.0.1:${opts.uiPort}`,
    process: child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
