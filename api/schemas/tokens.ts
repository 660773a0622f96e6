import { z } from 'zod';
import { requiredString } from './common';

/** `POST /tokens` (Sluice): `namespaces` absent means every namespace; `expires_in_seconds` absent means no expiry. */
export const CreateTokenBody = z.object({
  name: requiredString,
  scope: z.enum(['read', 'write', 'admin']).default('read'),
  namespaces: z.array(z.string()).optional(),
  expires_in_seconds: z.number().int().positive().optional(),
});
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;
