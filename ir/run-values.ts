import { taskIdFor } from './ids';
import type { RunPlaceholderValues } from './placeholders';

/** What a run contributes to placeholders: the same values for constants (workflow) and argv (activity). */
export function runPlaceholderValues(
  run: { runId: string; runName: string; pipelineRoot: string; createdAt: string },
  taskName: string,
): RunPlaceholderValues {
  return {
    pipelineJobName: run.runName,
    pipelineJobResourceName: run.runId,
    pipelineJobUuid: run.runId,
    pipelineTaskName: taskName,
    pipelineTaskUuid: taskIdFor(run.runId, taskName),
    pipelineRoot: run.pipelineRoot,
    pipelineJobCreateTimeUtc: run.createdAt,
    pipelineJobScheduleTimeUtc: run.createdAt,
  };
}
