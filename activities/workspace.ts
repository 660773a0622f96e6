import type { Runner } from './runners/runner';

/** A run whose platform spec configures a workspace (`pipelineConfig.workspace`). */
export interface WorkspaceInput {
  runId: string;
  platformSpec?: Record<string, unknown>;
  /** The run's workspace directory on the artifact store, as the API chose it: the workspace of a runner without volumes. */
  workspacePath: string;
}

/**
 * Makes the run's workspace before its first task, and says where its steps see it, which is
 * what `{{$.workspace_path}}` resolves to: the runner's volume (KFP's `/kfp-workspace` on
 * Kubernetes), else the run's directory, which each launch creates.
 */
export function createPrepareWorkspace(runner: Runner) {
  return async function prepareWorkspace(input: WorkspaceInput): Promise<string> {
    if (!runner.workspaces) return input.workspacePath;
    await runner.workspaces.create(input.runId, input.platformSpec);
    return runner.workspaces.mountPath;
  };
}

/** Removes the run's workspace once the run has ended; a directory on the artifact store stays, with the run's artifacts. */
export function createRemoveWorkspace(runner: Runner) {
  return async function removeWorkspace(input: { runId: string }): Promise<void> {
    await runner.workspaces?.remove(input.runId);
  };
}
