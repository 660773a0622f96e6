import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isFinal } from '../../ir/states';
import { ROOT_PATH, childPath } from '../../ir/task-path';
import type { MetadataStore, TaskAttemptRecord, TaskRecord } from '../../store/types';
import { FailedPreconditionError, NotFoundError } from '../errors';

/** How often a followed log is checked for new output. */
const FOLLOW_POLL_INTERVAL_MS = 250;

/** Which log a request means. */
export interface LogRequest {
  runId: string;
  /** The task's path, or the name of a task of the root DAG (`train` for `root/train`). */
  task: string;
  /** A 1-based attempt; the latest when absent (and, when following, whichever attempt is latest). */
  attempt?: number;
}

/**
 * Task logs. Each attempt's combined stdout/stderr is a file of the local artifact store whose
 * absolute path is the attempt's `logUri`; these are read straight from disk.
 */
export class TaskLogService {
  constructor(private readonly store: MetadataStore) {}

  /**
   * The whole log of one attempt.
   * @throws NotFoundError naming what is missing: the run, the task, the attempt, or the file.
   */
  async read(req: LogRequest): Promise<Buffer> {
    const attempt = await this.locate(req);
    const path = localPath(attempt.logUri);
    try {
      return await readFile(path, { flag: LOG_FLAGS });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new NotFoundError('log file', path, { reason: 'it is a symbolic link, which is never followed' });
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new NotFoundError('log file', path, { reason: `attempt ${attempt.attempt} of task "${req.task}" has not written one yet` });
    }
  }

  /**
   * Checks that the log exists as `read` does, then returns its chunks as they are written,
   * ending once the task (or the attempt asked for) reaches a final state, or the run does.
   * Stops early when `signal` aborts (the client went away).
   */
  async follow(req: LogRequest, signal: AbortSignal): Promise<AsyncGenerator<Buffer>> {
    const first = await this.locate(req);
    return this.tail(req, first, signal);
  }

  private async *tail(req: LogRequest, first: TaskAttemptRecord, signal: AbortSignal): AsyncGenerator<Buffer> {
    let current = first;
    let offset = 0;
    while (!signal.aborted) {
      // Decided before reading, so the last read sees everything written before the end.
      const { finished, attempts } = await this.progress(req);
      current = attempts.find((a) => a.attempt === current.attempt) ?? current;
      const chunk = await readFrom(localPath(current.logUri), offset);
      if (chunk.length > 0) {
        offset += chunk.length;
        yield chunk;
      }
      if (finished) return;
      const latest = attempts.reduce((a, b) => (b.attempt > a.attempt ? b : a), current);
      if (req.attempt === undefined && latest !== current && isFinal(current.state)) {
        // A retry began and the previous attempt's log is drained: go on with the new one.
        current = latest;
        offset = 0;
        continue;
      }
      await sleep(FOLLOW_POLL_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Whether following ends after the next read, and the task's attempts as they are now. */
  private async progress(req: LogRequest): Promise<{ finished: boolean; attempts: TaskAttemptRecord[] }> {
    const { run, task, attempts } = await this.records(req);
    const asked = req.attempt === undefined ? undefined : attempts.find((a) => a.attempt === req.attempt);
    const attemptOver = req.attempt !== undefined && (!asked || isFinal(asked.state));
    const finished = !run || isFinal(run.state) || !task || isFinal(task.state) || attemptOver;
    return { finished, attempts };
  }

  private async records({ runId, task: named }: LogRequest) {
    const [run, task] = await Promise.all([this.store.getRun(runId), this.findTask(runId, named)]);
    const attempts = task ? await this.store.listTaskAttempts(runId, task.taskPath) : [];
    return { run, task, attempts };
  }

  /** The task at path `named`, else (for a name without `/`) the root DAG's task of that name. */
  private async findTask(runId: string, named: string): Promise<TaskRecord | undefined> {
    const exact = await this.store.getTask(runId, named);
    if (exact || named.includes('/')) return exact;
    return this.store.getTask(runId, childPath(ROOT_PATH, named));
  }

  /** @throws NotFoundError naming the run, task or attempt that does not exist. */
  private async locate(req: LogRequest): Promise<TaskAttemptRecord> {
    const { runId } = req;
    const { run, task, attempts } = await this.records(req);
    if (!run) throw new NotFoundError('run', runId);
    if (!task) throw new NotFoundError('task', req.task, { reason: `run "${runId}" has no task at that path (yet)` });
    const taskName = task.taskPath;
    if (attempts.length === 0) throw new NotFoundError('log of task', taskName, { reason: `the task has not started (it is ${task.state})` });
    const wanted = req.attempt ?? Math.max(...attempts.map((a) => a.attempt));
    const attempt = attempts.find((a) => a.attempt === wanted);
    if (!attempt) {
      throw new NotFoundError(`attempt of task "${taskName}"`, String(wanted), {
        field: 'attempt',
        reason: `the task has attempts ${attempts.map((a) => a.attempt).sort((a, b) => a - b).join(', ')}`,
      });
    }
    return attempt;
  }
}

/**
 * Logs lie where steps (another user) could have written: a symlink in place of one must not
 * lead the server (root, under `sluice dev`) to any other file, nor a FIFO block it.
 */
const LOG_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** A log URI as a path on this machine; only the local artifact store's are readable here. */
function localPath(uri: string): string {
  if (isAbsolute(uri)) return uri;
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  throw new FailedPreconditionError(`the log is stored at "${uri}", which is not a local file this server can read`);
}

/** The bytes of `path` from `offset` to its current end; none while the file does not exist yet. */
async function readFrom(path: string, offset: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, LOG_FLAGS);
  } catch (err) {
    // A symlink in place of the log reads as no log yet, like a missing one.
    if (['ENOENT', 'ELOOP'].includes((err as NodeJS.ErrnoException).code ?? '')) return Buffer.alloc(0);
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
