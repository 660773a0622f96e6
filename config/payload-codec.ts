import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Compression of everything Sluice sends to Temporal. A run's start input carries its whole
 * PipelineSpec (`registerRun` carries it again; child workflows carry their part of it), and
 * Temporal refuses any payload set above 2 MiB; specs are repetitive JSON that gzip shrinks ten-
 * to fiftyfold.
 *
 * Used by every Temporal Client (`stack/dev-stack.ts`, the API tests) and every Worker
 * (`worker/create-worker.ts`, replay tests) through `SLUICE_DATA_CONVERTER`. Histories written
 * before the codec, and payloads it left alone, carry another encoding and decode unchanged.
 */

/** The `encoding` metadata of a compressed payload. */
export const GZIP_ENCODING = 'binary/gzip';
/** Informational: the encoding the payload had before compression (decoding never relies on it). */
export const ORIGINAL_ENCODING_KEY = 'sluice-original-encoding';

/** Payloads smaller than this travel as they are: gzip's header and the UI's readability cost more than they save. */
export const DEFAULT_COMPRESSION_THRESHOLD_BYTES = 1024;
/** A compressed payload inflating past this is refused rather than exhausting the process. */
const MAX_DECODED_BYTES = 256 * 1024 * 1024;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const ProtoPayload = temporal.api.common.v1.Payload;
const ProtoPayloads = temporal.api.common.v1.Payloads;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export interface GzipPayloadCodecOptions {
  /** Smallest `data` (bytes) that is compressed. */
  thresholdBytes?: number;
}

/**
 * gzips each payload whose data reaches the threshold. The whole original payload (metadata and
 * data) is protobuf-encoded and gzipped, so decoding gives it back byte for byte; the result is
 * marked `encoding: binary/gzip` (with the original encoding alongside, for people reading a
 * history). A payload that does not shrink is sent as it was. Decoding touches only
 * `binary/gzip` payloads and passes every other encoding through.
 */
export class GzipPayloadCodec implements PayloadCodec {
  private readonly threshold: number;

  constructor(opts: GzipPayloadCodecOptions = {}) {
    this.threshold = opts.thresholdBytes ?? DEFAULT_COMPRESSION_THRESHOLD_BYTES;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.encodeOne(p)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => decodeOne(p)));
  }

  private async encodeOne(payload: Payload): Promise<Payload> {
    if ((payload.data?.length ?? 0) < this.threshold || encodingOf(payload) === GZIP_ENCODING) return payload;
    const compressed = await gzipAsync(ProtoPayload.encode(payload).finish());
    if (compressed.length >= (payload.data?.length ?? 0)) return payload;
    const metadata: Record<string, Uint8Array> = { [METADATA_ENCODING_KEY]: utf8.encode(GZIP_ENCODING) };
    const original = payload.metadata?.[METADATA_ENCODING_KEY];
    if (original) metadata[ORIGINAL_ENCODING_KEY] = original;
    return { metadata, data: new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.length) };
  }
}

async function decodeOne(payload: Payload): Promise<Payload> {
  if (encodingOf(payload) !== GZIP_ENCODING) return payload;
  let decoded: temporal.api.common.v1.Payload;
  try {
    decoded = ProtoPayload.decode(await gunzipAsync(payload.data ?? new Uint8Array(), { maxOutputLength: MAX_DECODED_BYTES }));
  } catch (err) {
    throw new Error(`cannot decode a ${GZIP_ENCODING} payload: ${(err as Error).message}`, { cause: err });
  }
  const out: Payload = { metadata: decoded.metadata, data: decoded.data };
  if (decoded.externalPayloads?.length) out.externalPayloads = decoded.externalPayloads;
  return out;
}

function encodingOf(payload: Payload): string | undefined {
  const raw = payload.metadata?.[METADATA_ENCODING_KEY];
  return raw ? fromUtf8.decode(raw) : undefined;
}

/** The data converter of every Sluice Client and Worker: the default converters, then gzip. */
export const SLUICE_DATA_CONVERTER: DataConverter = { payloadCodecs: [new GzipPayloadCodec()] };

/** Bytes of `payloads` on the wire: the size Temporal's blob limit is checked against. */
export function payloadsByteSize(payloads: Payload[]): number {
  return ProtoPayloads.encode({ payloads }).finish().length;
}
