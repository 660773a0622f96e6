import { SdkError } from './errors';

/**
 * KFP's `maybe_rename_for_k8s`: lowercase, runs of anything but `[-0-9a-z]` become `-`, no leading
 * or trailing `-`. Task names (and so `comp-…`/`exec-…` keys) are derived this way.
 */
export function kfpName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-0-9a-z]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** KFP's `make_name_unique_by_adding_index`: `name`, else `name-2`, `name-3`, … */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) {
    const candidate = `${name}-${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

const PIPELINE_NAME = /^[a-z0-9][a-z0-9-]{0,127}$/;

/** @throws SdkError unless `name` is a valid KFP pipeline name (KFP's `validate_pipeline_name`). */
export function checkPipelineName(name: unknown): void {
  if (typeof name !== 'string' || !PIPELINE_NAME.test(name)) {
    throw new SdkError(`invalid pipeline name ${JSON.stringify(name)}: it must match ${PIPELINE_NAME.source}`);
  }
}

/** The `components` key of a task's component: one per task, as KFP's compiler writes them. */
export function componentKey(taskName: string): string {
  return `comp-${taskName}`;
}

/** The `deploymentSpec.executors` key of a task's container. */
export function executorKey(taskName: string): string {
  return `exec-${taskName}`;
}
