import { z } from 'zod';
import { ListQuery, optionalString, requiredString } from './common';
import { RunSourceFields, refineRunSource } from './runs';

/** protobuf's Timestamp in JSON: an RFC3339 string. */
const timestamp = z
  .string({ invalid_type_error: 'expected an RFC3339 time such as 2026-01-31T09:00:00Z' })
  .refine((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'expected an RFC3339 time such as 2026-01-31T09:00:00Z',
  })
  .transform((s) => new Date(s));
const optionalTimestamp = z.preprocess((v) => (v === '' || v === null ? undefined : v), timestamp.optional());

/** protobuf's int64 in JSON: a number or a decimal string. */
const int64 = z.union([z.number(), z.string().regex(/^-?\d+$/, 'expected a whole number')]).pipe(z.coerce.number().int('expected a whole number'));

/** KFP's `Trigger`: exactly one of a cron and a periodic schedule. `time_zone` is Sluice's (IANA; UTC when absent). */
export const TriggerBody = z
  .object({
    cron_schedule: z
      .object({ cron: requiredString, start_time: optionalTimestamp, end_time: optionalTimestamp, time_zone: optionalString })
      .strict()
      .optional(),
    periodic_schedule: z
      .object({ interval_second: int64, start_time: optionalTimestamp, end_time: optionalTimestamp })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (!!t.cron_schedule === !!t.periodic_schedule) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['cron_schedule'], message: 'give exactly one of cron_schedule and periodic_schedule' });
    }
  });
export type TriggerBody = z.infer<typeof TriggerBody>;

/**
 * `POST /recurringruns`: KFP's `RecurringRun`. Output-only fields (`recurring_run_id`, `status`,
 * times) are ignored, as KFP ignores them. `max_concurrency` is KFP's 1–10 (and must be 1, see
 * `schedulePolicies`); `mode` defaults to ENABLE.
 */
export const CreateRecurringRunBody = RunSourceFields.extend({
  trigger: TriggerBody,
  max_concurrency: z.preprocess((v) => (v === '' || v === null ? undefined : v), int64.pipe(z.number().min(1).max(10)).optional()).transform((n) => n ?? 1),
  mode: z
    .preprocess((v) => (v === null || v === 'MODE_UNSPECIFIED' ? undefined : v), z.enum(['ENABLE', 'DISABLE']).optional())
    .transform((m) => m ?? 'ENABLE'),
  no_catchup: z.boolean().nullish().transform((b) => b ?? false),
  namespace: optionalString,
}).superRefine(refineRunSource);
export type CreateRecurringRunBody = z.infer<typeof CreateRecurringRunBody>;

export const ListRecurringRunsQuery = ListQuery.extend({ experiment_id: optionalString });
export type ListRecurringRunsQuery = z.infer<typeof ListRecurringRunsQuery>;

/** Sluice's `POST /recurringruns/{id}:backfill`: the runs the schedule would have started in [start_time, end_time]. */
export const BackfillBody = z
  .object({ start_time: timestamp, end_time: timestamp })
  .strict()
  .superRefine((b, ctx) => {
    if (b.end_time.getTime() <= b.start_time.getTime()) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['end_time'], message: 'must be after start_time' });
    }
  });
