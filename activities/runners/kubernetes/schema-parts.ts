/** Schema pieces shared by the platform spec, the executor's resources and the runner's config. */
import { z } from 'zod';
import { quantityProblem } from './quantities';

/** A protobuf int64: a number, or its decimal text as protobuf's JSON writes it. */
export const int64 = z.preprocess(
  (value) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value),
  z.number({ invalid_type_error: 'must be an integer (a number or its decimal text)' }).int('must be an integer'),
);

export const quantity = z.string().superRefine((text, ctx) => {
  const problem = quantityProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Resource name → quantity, as a container's `requests` and `limits`. */
export const resourceList = z.record(quantity);
