import { taskIdFor } from './ids';
import type { RunPlaceholderValues } from './placeholders';
import { displayNameOf } from './task-path';

/**
 * KFP's `{{$.pipeline_job_resource_name}}`: `<pipeline-name>-<suffix>` as KFP's backend names
 * the run's workflow object, derived from the run id so every task of a run sees the same name.
 */
export function pipelineJobResourceName(pipelineName: string, runId: string): string {
  const slug = pipelineName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'pipeline';
  return `${slug}-${runId.replace(/[^a-z0-9]/gi, '').slice(0, 5).toLowerCase()}`;
}

/** What a run contributes to placeholders: the same values for constants (workflow) and argv (activity). */
export function runPlaceholderValues(
  run: { runId: string; runName: string; pipelineName: string; pipelineRoot: string; createdAt: string; workspacePath?: string },
  taskPath: string,
): RunPlaceholderValues {
  let taskUuid: string | undefined;
  return {
    pipelineJobName: run.runName,
    pipelineJobResourceName: pipelineJobResourceName(run.pipelineName, run.runId),
    pipelineJobUuid: run.runId,
    pipelineTaskName: displayNameOf(taskPath).replace(/\[\d+\]$/, ''),
    // Derived when a placeholder asks for it (a spread copies it then): the workflow resolves
    // every task's constants with these values, and a SHA-256 in workflow code for each task
    // was ~12 % of the interpreter's first round over a 200-wide fan-out.
    get pipelineTaskUuid() {
      return (taskUuid ??= taskIdFor(run.runId, taskPath));
    },
    pipelineRoot: run.pipelineRoot,
    pipelineJobCreateTimeUtc: run.createdAt,
    pipelineJobScheduleTimeUtc: run.createdAt,
    ...(run.workspacePath ? { workspacePath: run.workspacePath } : {}),
  };
}
