import { z } from 'zod';
import { optionalDescription, optionalNamespace, requiredName } from './common';

/** `POST /experiments`: KFP's `Experiment`; `display_name` is required. */
export const ExperimentBody = z.object({
  display_name: requiredName,
  description: optionalDescription,
  namespace: optionalNamespace,
});
export type ExperimentBody = z.infer<typeof ExperimentBody>;
