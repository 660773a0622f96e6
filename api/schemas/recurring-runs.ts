import { z } from 'zod';
import { ListQuery, optionalId, optionalNamespace } from './common';
import { RunSourceFields, refineRunSource } from './runs';

/** Longest cron expression accepted: KFP's six fields with lists and ranges fit in far less. */
export const MAX_CRON_LENGTH = 255;
/** Longest `time_zone`: IANA names are at most about 30 characters. */
export const MAX_TIME_ZONE_LENGTH = 64;
/** Longest periodic interval: ten years, far beyond any schedule, and well inside Temporal's durations. */
export const MAX_INTERVAL_SECONDS = 10 * 365 * 24 * 3600;

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
/** A string field of at most `max` characters. */
const bounded = (max: number) =>
  z.string({ required_error: 'required', invalid_type_error: 'expected a string' }).max(max, `longer than ${max} characters`);

/** protobuf's Timestamp in JSON: an RFC3339 string. */
const timestamp = z
  .string({ required_error: 'required', invalid_type_error: 'expected an RFC3339 time such as 2026-01-31T09:00:00Z' })
  .max(64, 'longer than 64 characters')
  .refine((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'expected an RFC3339 time such as 2026-01-31T09:00:00Z',
  })
  .transform((s) => new Date(s));
const optionalTimestamp = z.preprocess(blankToUndefined, timestamp.optional());

/** protobuf's int64 in JSON: a number or a decimal string (at most 20 characters, as an int64 has). */
const int64 = z
  .union([z.number(), z.string().max(20, 'longer than 20 characters').regex(/^-?\d+$/, 'expected a whole number')], {
    errorMap: () => ({ message: 'expected a whole number' }),
  })
  .pipe(z.coerce.number().int('expected a whole number'));

/** KFP's `Trigger`: exactly one of a cron and a periodic schedule. `time_zone` is Sluice's (IANA; UTC when absent). */
export const TriggerBody = z
  .object({
    cron_schedule: z
      .object({
        cron: z.preprocess(blankToUndefined, bounded(MAX_CRON_LENGTH)),
        start_time: optionalTimestamp,
        end_time: optionalTimestamp,
        time_zone: z.preprocess(blankToUndefined, bounded(MAX_TIME_ZONE_LENGTH).optional()),
      })
      .strict()
      .optional(),
    periodic_schedule: z
      .object({
        interval_second: int64.pipe(z.number().max(MAX_INTERVAL_SECONDS, `more than ${MAX_INTERVAL_SECONDS} seconds (ten years)`)),
        start_time: optionalTimestamp,
        end_time: optionalTimestamp,
      })
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
  no_catchup: z.boolean({ invalid_type_error: 'expected true or false' }).nullish().transform((b) => b ?? false),
  namespace: optionalNamespace,
}).superRefine(refineRunSource);
export type CreateRecurringRunBody = z.infer<typeof CreateRecurringRunBody>;

export const ListRecurringRunsQuery = ListQuery.extend({ experiment_id: optionalId });
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
