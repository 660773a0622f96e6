import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import type { TestEngine } from './engine';

const WORKER_MAIN = join(__dirname, '..', '..', 'dist', 'worker', 'main.js');

/**
 * A worker as its own process (`sluice worker`) for `engine`'s task queue, so that a test can
 * kill it with SIGKILL; its output goes to `<logDir>/<label>.log`. `env` adds settings.
 */
export function startStandaloneWorker(engine: TestEngine, logDir: string, label: string, env: Record<string, string> = {}): ChildProcess {
  const log = openSync(join(logDir, `${label}.log`), 'a');
  return spawn(process.execPath, [WORKER_MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: engine.config.databaseUrl,
      TEMPORAL_ADDRESS: engine.temporalAddress,
      SLUICE_TASK_QUEUE: engine.config.taskQueue,
      SLUICE_DATA_DIR: engine.config.dataDir,
      ...env,
    },
    stdio: ['ignore', log, log],
  });
}
