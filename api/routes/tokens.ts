import { Router } from 'express';
import { accessOf } from '../auth/principal';
import type { TokenService } from '../auth/tokens';
import type { ApiCreatedToken } from '../api-types';
import { toApiToken, toNewToken } from '../converters/tokens';
import { CreateTokenBody } from '../schemas/tokens';
import { guardPathParameters, noQuery } from '../request-guards';
import { customMethodPath } from './custom-method';

/** Sluice: API token management (admin scope, which the guard checks for every path under `/tokens`). */
export function tokensRouter(tokens: TokenService): Router {
  const router = Router();
  guardPathParameters(router);

  router.post('/tokens', noQuery, async (req, res) => {
    const { token, record } = await tokens.create(toNewToken(CreateTokenBody.parse(req.body ?? {}), new Date()), accessOf(res));
    res.json({ ...toApiToken(record), token } satisfies ApiCreatedToken);
  });

  router.get('/tokens', noQuery, async (_req, res) => {
    res.json({ tokens: (await tokens.list(accessOf(res))).map(toApiToken) });
  });

  router.post(customMethodPath('tokens', 'token_id', 'revoke'), noQuery, async (req, res) => {
    await tokens.revoke(req.params.token_id, accessOf(res));
    res.json({});
  });

  return router;
}
