/**
 * The spawn helper: a small process that starts steps on the worker's behalf (see `spawner.ts`).
 * Forking copies the parent's page tables, so a spawn from the worker (hundreds of MiB, several
 * threads) blocks its event loop for about 10 ms; from this process it takes about 1 ms, and not
 * on the worker's loop.
 *
 * It starts each step detached (its own process group, so it outlives this helper and the
 * worker) with stdout and stderr appended to the step's log, answers with the pid, and reports the
 * exit. It exits when the worker does: its steps live on, and the next worker reattaches to them.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import type { SpawnReply, SpawnRequest } from './spawner';

function reply(message: SpawnReply): void {
  process.send?.(message);
}

function start(req: SpawnRequest): void {
  let log: number;
  try {
    // Never through a symlink: this process runs as root, the log's directory may not be root's alone.
    log = openSync(req.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    reply({ id: req.id, error: `cannot open the log ${req.logFile}: ${(err as Error).message}` });
    return;
  }
  try {
    const child = spawn(req.file, req.args, {
      cwd: req.cwd,
      env: req.env,
      ...(req.uid !== undefined ? { uid: req.uid, gid: req.gid } : {}),
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.once('error', (err) => reply({ id: req.id, error: err.message }));
    child.once('spawn', () => reply({ id: req.id, pid: child.pid as number }));
    child.once('exit', (code, signal) => reply({ id: req.id, exited: { code, signal } }));
  } catch (err) {
    // e.g. a uid the helper may not switch to: spawn throws before any process exists.
    reply({ id: req.id, error: (err as Error).message });
  } finally {
    closeSync(log);
  }
}

process.on('message', (req: SpawnRequest) => start(req));
process.on('disconnect', () => process.exit(0));
