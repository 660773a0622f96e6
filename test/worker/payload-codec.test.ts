import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { GZIP_ENCODING, GzipPayloadCodec, ORIGINAL_ENCODING_KEY, payloadsByteSize, SLUICE_DATA_CONVERTER } from '../../config/payload-codec';

const codec = new GzipPayloadCodec();
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const encodingOf = (p: Payload) => text(p.metadata?.[METADATA_ENCODING_KEY]);
/** Byte-exact comparison of two payloads (metadata keys and values, data). */
const wire = (p: Payload) => Buffer.from(temporal.api.common.v1.Payload.encode(p).finish()).toString('base64');

describe('GzipPayloadCodec', () => {
  test('is the data converter every client and worker uses', () => {
    expect(SLUICE_DATA_CONVERTER.payloadCodecs?.some((c) => c instanceof GzipPayloadCodec)).toBe(true);
  });

  test('a small payload passes through unchanged', async () => {
    const small = defaultPayloadConverter.toPayload({ runId: 'r1', n: 3 });
    const [encoded] = await codec.encode([small]);
    expect(encoded).toBe(small);
    const [decoded] = await codec.decode([encoded]);
    expect(decoded).toBe(small);
  });

  test('a large JSON payload is gzipped, marked, and decodes to the same bytes and value', async () => {
    const value = { spec: { tasks: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`task-${i}`, { componentRef: { name: 'comp-echo' } }])) } };
    const original = defaultPayloadConverter.toPayload(value);
    const [encoded] = await codec.encode([original]);
    expect(encodingOf(encoded)).toBe(GZIP_ENCODING);
    expect(text(encoded.metadata?.[ORIGINAL_ENCODING_KEY])).toBe('json/plain');
    expect(encoded.data!.length).toBeLessThan(original.data!.length / 10);
    const [decoded] = await codec.decode([encoded]);
    expect(wire(decoded)).toBe(wire(original));
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(value);
  });

  test('non-JSON payloads keep every metadata key and their bytes exactly', async () => {
    const binary: Payload = {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from('binary/plain'), messageType: Buffer.from('x.y.Z'), extra: new Uint8Array([0, 255, 7]) },
      data: new Uint8Array(Buffer.alloc(8192, 'ab')),
    };
    const noEncoding: Payload = { metadata: {}, data: new Uint8Array(Buffer.alloc(4096, 'z')) };
    const encoded = await codec.encode([binary, noEncoding]);
    expect(encoded.map(encodingOf)).toEqual([GZIP_ENCODING, GZIP_ENCODING]);
    expect(encoded[1].metadata?.[ORIGINAL_ENCODING_KEY]).toBeUndefined();
    const decoded = await codec.decode(encoded);
    expect(decoded.map(wire)).toEqual([binary, noEncoding].map(wire));
  });

  test('an incompressible payload is sent as it was', async () => {
    const random: Payload = { metadata: { [METADATA_ENCODING_KEY]: Buffer.from('binary/plain') }, data: new Uint8Array(randomBytes(64 * 1024)) };
    const [encoded] = await codec.encode([random]);
    expect(encoded).toBe(random);
  });

  test('unknown encodings and pre-codec payloads decode unchanged; gzip is not applied twice', async () => {
    const foreign: Payload = { metadata: { [METADATA_ENCODING_KEY]: Buffer.from('binary/encrypted') }, data: new Uint8Array(Buffer.alloc(4096, 'q')) };
    const plainJson = defaultPayloadConverter.toPayload('x'.repeat(10_000));
    const nullPayload = defaultPayloadConverter.toPayload(null);
    const decoded = await codec.decode([foreign, plainJson, nullPayload]);
    expect(decoded[0]).toBe(foreign);
    expect(decoded[1]).toBe(plainJson);
    expect(decoded[2]).toBe(nullPayload);

    const [once] = await codec.encode([plainJson]);
    const [twice] = await codec.encode([once]);
    expect(twice).toBe(once);
    expect(await codec.encode([])).toEqual([]);
  });

  test('a corrupt gzip payload is an error naming the encoding, not garbage', async () => {
    const corrupt: Payload = { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(GZIP_ENCODING) }, data: new Uint8Array([1, 2, 3]) };
    await expect(codec.decode([corrupt])).rejects.toThrow(/cannot decode a binary\/gzip payload/);
    // gzip of something that is not a Payload message is refused too.
    const notPayload: Payload = { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(GZIP_ENCODING) }, data: new Uint8Array(gzipSync(Buffer.from([0xff, 0xff, 0xff]))) };
    await expect(codec.decode([notPayload])).rejects.toThrow(/cannot decode a binary\/gzip payload/);
  });

  test('payloadsByteSize is the protobuf size of the set', () => {
    const p = defaultPayloadConverter.toPayload({ a: 'b'.repeat(100) });
    expect(payloadsByteSize([p])).toBe(temporal.api.common.v1.Payloads.encode({ payloads: [p] }).finish().length);
    expect(payloadsByteSize([p])).toBeGreaterThan(p.data!.length);
  });
});
