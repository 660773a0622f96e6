import { z } from 'zod';
import { optionalString, requiredString } from './common';

/** `POST /experiments`: KFP's `Experiment`; `display_name` is required. */
export const ExperimentBody = z.object({
  display_name: requiredString,
  description: optionalString,
  namespace: optionalString,
});
export type ExperimentBody = z.infer<typeof ExperimentBody>;
