import { Router, json } from 'express';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { InvalidArgumentError } from '../errors';

/** Where the Temporal Web UI (and `temporal … --codec-endpoint`) finds the codec: `{API}/codec`. */
export const CODEC_PATH = '/codec';

/** Temporal's remote-codec wire form: protobuf JSON, so every bytes field is base64. */
const wirePayloads = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.string().base64()).optional(),
      data: z.string().base64().optional(),
    }),
  ),
});
type WirePayloads = z.infer<typeof wirePayloads>;

/**
 * Temporal's remote codec protocol (`POST /decode`, `POST /encode`), so that people reading a
 * run's history in the Temporal UI see its inputs as JSON instead of gzip bytes. The UI calls
 * it from the browser, so it answers CORS preflights; it reveals nothing the API does not serve.
 */
export function codecRouter(codec: PayloadCodec): Router {
  const router = Router();
  router.use((req, res, next) => {
    res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
    res.setHeader('vary', 'origin');
    if (req.method === 'OPTIONS') {
      res.sendStatus(204);
      return;
    }
    next();
  });
  // The UI may post without a JSON content type; the body is small either way.
  router.use(json({ type: () => true, limit: '8mb' }));
  for (const op of ['decode', 'encode'] as const) {
    router.post(`/${op}`, async (req, res) => {
      const body = wirePayloads.parse(req.body);
      const payloads = await codec[op](body.payloads.map(fromWire)).catch((err: Error) => {
        throw InvalidArgumentError.of('payloads', err.message);
      });
      res.json({ payloads: payloads.map(toWire) } satisfies WirePayloads);
    });
  }
  return router;
}

function fromWire(p: WirePayloads['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toWire(p: Payload): WirePayloads['payloads'][number] {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}
