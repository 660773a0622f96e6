import { join } from 'node:path';

/**
 * Where a run's files live under its pipeline root. URIs of the local artifact store are absolute
 * paths (KFP's executor reads such a URI as a local path), so the same string serves as both.
 */
export function taskLayout(pipelineRoot: string, runId: string, taskName: string) {
  const taskDir = join(pipelineRoot, runId, taskName);
  return {
    taskDir,
    outputUri: (outputKey: string) => join(taskDir, 'outputs', outputKey),
    launchDir: (launch: number) => join(taskDir, 'launches', String(launch)),
    logFile: (launch: number) => join(taskDir, 'logs', `launch-${launch}.log`),
  };
}

/** Deterministic launch name: the same run, task and launch always map to the same process/pod. */
export function launchName(runId: string, taskName: string, launch: number): string {
  return `${runId}-${taskName}-${launch}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}
