import { z } from 'zod';
import { MAX_NAMESPACE_LENGTH, requiredName } from './common';

/** `POST /tokens` (Sluice): `namespaces` absent means every namespace; `expires_in_seconds` absent means no expiry. */
export const CreateTokenBody = z.object({
  name: requiredName,
  scope: z.enum(['read', 'write', 'admin']).default('read'),
  namespaces: z.array(z.string().max(MAX_NAMESPACE_LENGTH, `longer than ${MAX_NAMESPACE_LENGTH} characters`)).max(1000).optional(),
  expires_in_seconds: z.number().int().positive().optional(),
}).strict();
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;
