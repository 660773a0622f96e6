import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { layoutSegments } from '../ir/task-path';

/**
 * Where a run's files live under its pipeline root: one directory per task path (a loop
 * iteration's index is its own segment). URIs of the local artifact store are absolute paths
 * (KFP's executor reads such a URI as a local path), so the same string serves as both.
 *
 * A launch's directory and its log sit in the task's directory (`launch-1/`, `launch-1.log`):
 * a new directory is the dearest file-system call a launch makes (0.27 ms of CPU each on the
 * bench machine's ext4 against 0.08 for a file), and `launches/` and `logs/` cost two more per
 * task. A task whose first launch was started under the old layout (a worker upgraded while
 * its run went on) keeps it, so the new worker finds its launches again instead of starting
 * them a second time.
 */
export function taskLayout(pipelineRoot: string, runId: string, taskPath: string) {
  const taskDir = join(pipelineRoot, runId, ...layoutSegments(taskPath));
  const legacy = existsSync(join(taskDir, 'launches'));
  return {
    taskDir,
    outputUri: (outputKey: string) => join(taskDir, 'outputs', outputKey),
    launchDir: (launch: number) => (legacy ? join(taskDir, 'launches', String(launch)) : join(taskDir, `launch-${launch}`)),
    logFile: (launch: number) => (legacy ? join(taskDir, 'logs', `launch-${launch}.log`) : join(taskDir, `launch-${launch}.log`)),
  };
}
