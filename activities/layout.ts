import { join } from 'node:path';
import { layoutSegments } from '../ir/task-path';

/**
 * Where a run's files live under its pipeline root: one directory per task path (a loop
 * iteration's index is its own segment). URIs of the local artifact store are absolute paths
 * (KFP's executor reads such a URI as a local path), so the same string serves as both.
 */
export function taskLayout(pipelineRoot: string, runId: string, taskPath: string) {
  const taskDir = join(pipelineRoot, runId, ...layoutSegments(taskPath));
  return {
    taskDir,
    outputUri: (outputKey: string) => join(taskDir, 'outputs', outputKey),
    launchDir: (launch: number) => join(taskDir, 'launches', String(launch)),
    logFile: (launch: number) => join(taskDir, 'logs', `launch-${launch}.log`),
  };
}
