// The workflow bundle's entry point: every workflow type the worker registers.
export { pipelineRun, tasksQuery } from './pipeline-run';
export { dagBatchRun } from './dag-batch-run';
export { taskBatchRun } from './task-batch-run';
