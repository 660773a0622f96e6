import { z } from 'zod';
import { ListQuery, jsonObject, optionalDescription, optionalId, optionalInt, optionalName, optionalString, queryFlag, requiredId } from './common';

const RuntimeConfig = z
  .object({
    // Values are checked against their declared types (and coerced from text) by ir/.
    parameters: z
      .record(z.unknown(), { invalid_type_error: 'expected a JSON object of parameter values' })
      .nullish()
      .transform((p) => p ?? {}),
    // Sluice (Vertex AI's RuntimeConfig field): each entry is checked against the spec and the store by ir/.
    input_artifacts: z
      .record(z.unknown(), { invalid_type_error: 'expected a JSON object of input artifacts by name' })
      .nullish()
      .transform((a) => a ?? {}),
    pipeline_root: optionalString,
  })
  .strict();

/**
 * The fields a run and a recurring run share (KFP's `Run` and `RecurringRun`): the pipeline comes
 * from exactly one of `pipeline_version_reference` (the latest version when
 * `pipeline_version_id` is absent) or an inline `pipeline_spec`.
 */
export const RunSourceFields = z.object({
  display_name: optionalName,
  description: optionalDescription,
  experiment_id: optionalId,
  pipeline_version_reference: z
    .object({ pipeline_id: requiredId, pipeline_version_id: optionalId })
    .strict()
    .optional(),
  pipeline_version_id: optionalString,
  pipeline_spec: jsonObject.optional(),
  runtime_config: RuntimeConfig.nullish().transform((c) => c ?? { parameters: {}, input_artifacts: {}, pipeline_root: undefined }),
  service_account: optionalString,
});
export type RunSourceFields = z.infer<typeof RunSourceFields>;

/** `RunSourceFields`' rules across fields, for a `superRefine`. */
export function refineRunSource(run: RunSourceFields, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
  if (run.pipeline_version_id !== undefined) {
    issue('pipeline_version_id', 'deprecated; use pipeline_version_reference {pipeline_id, pipeline_version_id}');
  } else if (run.pipeline_version_reference && run.pipeline_spec) {
    issue('pipeline_spec', 'give either pipeline_version_reference or pipeline_spec, not both');
  } else if (!run.pipeline_version_reference && !run.pipeline_spec) {
    issue('pipeline_version_reference', 'required (or pipeline_spec)');
  }
  if (run.service_account !== undefined) {
    issue('service_account', 'not supported: steps run with the worker\'s own identity');
  }
}

/** `POST /runs`: KFP's `Run`. */
export const CreateRunBody = RunSourceFields.superRefine(refineRunSource);
export type CreateRunBody = z.infer<typeof CreateRunBody>;

export const ListRunsQuery = ListQuery.extend({ experiment_id: optionalId });
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;

/** `GET /runs/{id}/tasks`: a page of the run's tasks in tree order, or of one task's children. */
export const ListTasksQuery = z
  .object({
    page_token: optionalString,
    page_size: optionalInt(0),
    parent_task_id: optionalId,
  })
  .strict();
export type ListTasksQuery = z.infer<typeof ListTasksQuery>;

export const TaskLogQuery = z
  .object({
    attempt: optionalInt(1),
    follow: queryFlag,
  })
  .strict();

