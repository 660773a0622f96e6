import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { payloadsByteSize, SLUICE_DATA_CONVERTER } from '../../config/payload-codec';
import { MAX_START_INPUT_BYTES, RunWorkflows, TEMPORAL_BLOB_LIMIT_BYTES } from '../../api/services/run-workflows';
import { DEFAULT_NAMESPACE } from '../../config/constants';
import type { PipelineSpec } from '../../ir/types';
import type { RunInput } from '../../workflows/types';
import { API, startApiHarness, tinySpec, type ApiHarness } from './harness';
import { blobSpec, fanOutSpec, incompressibleString } from './large-specs';

/**
 * A run's whole spec travels in its workflow's start input, which Temporal refuses above 2 MiB.
 * The API gzips payloads (the codec every client and worker shares) and refuses, before writing
 * anything, a run whose input would not fit even compressed.
 */
let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api_payload_limits');
});
afterAll(async () => {
  await h?.close();
});

const runCount = async () => (await h.store.listRuns({}, {})).totalSize;

test('an 8,000-task fan-out (over 2 MiB as JSON) starts, compressed far below the limit', async () => {
  const spec = fanOutSpec('wide-fan-out', 8000);
  const raw = payloadsByteSize([defaultPayloadConverter.toPayload(spec)]);
  expect(raw).toBeGreaterThan(TEMPORAL_BLOB_LIMIT_BYTES);

  const res = await h.call('POST', `${API}/runs`, { display_name: 'wide', pipeline_spec: spec, runtime_config: { parameters: {} } });
  expect(res.status).toBe(200);
  const runId = res.body.run_id;

  // What Temporal holds: the start input, gzipped, decoding to the whole spec.
  const history = await h.temporal.workflow.getHandle(runId).fetchHistory();
  const stored = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const storedBytes = payloadsByteSize(stored);
  expect(Buffer.from(stored[0].metadata?.encoding ?? []).toString()).toBe('binary/gzip');
  expect(storedBytes).toBeLessThan(raw / 10);
  const input = await h.workflowInput(runId);
  expect(Object.keys(input.spec.root.dag?.tasks ?? {})).toHaveLength(8000);
  console.log(`8,000-task start input: ${raw} bytes as JSON, ${storedBytes} bytes in Temporal (×${(raw / storedBytes).toFixed(1)})`);

  const run = await h.store.getRun(runId);
  expect(run?.state).toBe('PENDING');
  expect((await h.temporal.workflow.getHandle(runId).describe()).status.name).toBe('RUNNING');
});

test('a spec too large even compressed is a 400 naming pipeline_spec and the limit; nothing is written', async () => {
  const before = await runCount();
  const spec = blobSpec('huge-constant', incompressibleString(3 * 1024 * 1024));
  const res = await h.call('POST', `${API}/runs`, { display_name: 'huge', pipeline_spec: spec, runtime_config: { parameters: {} } });
  expect(res.status).toBe(400);
  expect(res.body.code).toBe(3);
  expect(res.body.error_message).toMatch(/^pipeline_spec: the run's workflow input is [\d.]+ MiB after compression, more than the 1\.5 MiB limit \(Temporal refuses payloads over 2 MiB\)/);
  expect(res.body.details[0].field_violations[0].field).toBe('pipeline_spec');
  expect(await runCount()).toBe(before);
});

test('parameters too large even compressed are a 400 naming runtime_config.parameters', async () => {
  const before = await runCount();
  // Three parameters, each under the 1 MiB limit of one parameter, together over the run's limit.
  const names = ['blob', 'second', 'third'];
  const spec = blobSpec('huge-parameters');
  spec.root.inputDefinitions = { parameters: Object.fromEntries(names.map((n) => [n, { parameterType: 'STRING' }])) } as typeof spec.root.inputDefinitions;
  const res = await h.call('POST', `${API}/runs`, {
    display_name: 'huge parameters',
    pipeline_spec: spec,
    runtime_config: { parameters: Object.fromEntries(names.map((n) => [n, incompressibleString(900 * 1024)])) },
  });
  expect(res.status).toBe(400);
  expect(res.body.details[0].field_violations[0].field).toBe('runtime_config.parameters');
  expect(res.body.error_message).toMatch(/^runtime_config\.parameters: .* more than the 1\.5 MiB limit/);
  expect(await runCount()).toBe(before);
});

test('one parameter over 1 MiB is a 400 naming it, before anything is measured or written', async () => {
  const before = await runCount();
  const res = await h.call('POST', `${API}/runs`, {
    display_name: 'huge parameter',
    pipeline_spec: blobSpec('huge-parameter'),
    runtime_config: { parameters: { blob: 'a'.repeat(3 * 1024 * 1024) } },
  });
  expect(res.status).toBe(400);
  expect(res.body.details[0].field_violations[0].field).toBe('runtime_config.parameters.blob');
  expect(res.body.error_message).toContain('more than the 1048576 byte limit of one parameter');
  expect(await runCount()).toBe(before);
});

test('a stored pipeline version too large to run is refused naming pipeline_version_reference', async () => {
  const uploaded = await h.upload(`${API}/pipelines/upload?name=huge-version`, 'huge.json', JSON.stringify(blobSpec('huge-version', incompressibleString(2.5 * 1024 * 1024))));
  expect(uploaded.status).toBe(200);
  const before = await runCount();
  const res = await h.call('POST', `${API}/runs`, {
    display_name: 'from version',
    pipeline_version_reference: { pipeline_id: uploaded.body.pipeline_id },
    runtime_config: { parameters: {} },
  });
  expect(res.status).toBe(400);
  expect(res.body.error_message).toMatch(/^pipeline_version_reference: the run's workflow input is/);
  expect(await runCount()).toBe(before);
});

test('the bound applies after compression: a spec over 1.5 MiB as JSON that compresses under it is accepted', async () => {
  // 1.8 MiB of base64 gzips to about 1.37 MiB.
  const spec = blobSpec('near-limit', incompressibleString(1.8 * 1024 * 1024));
  const res = await h.call('POST', `${API}/runs`, { display_name: 'near', pipeline_spec: spec, runtime_config: { parameters: {} } });
  expect(res.status).toBe(200);
  const history = await h.temporal.workflow.getHandle(res.body.run_id).fetchHistory();
  const stored = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  expect(payloadsByteSize(stored)).toBeLessThanOrEqual(MAX_START_INPUT_BYTES);
  expect(payloadsByteSize(stored)).toBeGreaterThan(MAX_START_INPUT_BYTES / 2);
});

test('when the namespace is missing, the recorded reason names it', async () => {
  const namespace = `missing-${randomUUID()}`;
  const broken = await startApiHarness('api_payload_no_namespace', { namespace });
  try {
    const res = await broken.call('POST', `${API}/runs`, { display_name: 'doomed', pipeline_spec: tinySpec('doomed'), runtime_config: { parameters: {} } });
    expect(res.status).toBe(503);
    expect(res.body.error_message).toMatch(/could not start the run's workflow: .*Namespace not found/);
    expect(res.body.error_message).toContain(namespace);
    const [run] = (await broken.store.listRuns({}, {})).items;
    expect(run.error?.message).toContain(namespace);
  } finally {
    await broken.close();
  }
});

test('a start Temporal refuses carries its cause, not only "Failed to start Workflow"', async () => {
  // A client without the codec, and no size check: the server's blob limit refuses the start.
  const connection = await Connection.connect({ address: process.env.SLUICE_TEST_TEMPORAL_ADDRESS as string });
  try {
    const workflows = new RunWorkflows(new Client({ connection, namespace: DEFAULT_NAMESPACE }), h.taskQueue);
    const spec = blobSpec('refused', incompressibleString(2.5 * 1024 * 1024)) as unknown as PipelineSpec;
    const input: RunInput = {
      runId: randomUUID(), runName: 'refused', pipelineName: 'refused', experimentId: 'e', spec, parameters: {},
      pipelineRoot: '/tmp', createdAt: new Date().toISOString(), parallelism: 1, heartbeatTimeoutSeconds: 15,
    };
    expect(await workflows.startInputBytes(input)).toBeGreaterThan(TEMPORAL_BLOB_LIMIT_BYTES);
    const err = await workflows.start(input).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/^Failed to start Workflow: .*(blob|size).*limit/i);
  } finally {
    await connection.close();
  }
});

test('an input that fits as plain JSON is measured without compressing it; a larger one is measured compressed', async () => {
  const connection = await Connection.connect({ address: process.env.SLUICE_TEST_TEMPORAL_ADDRESS as string });
  try {
    const workflows = new RunWorkflows(new Client({ connection, namespace: DEFAULT_NAMESPACE, dataConverter: SLUICE_DATA_CONVERTER }), h.taskQueue);
    const spec = blobSpec('measured', 'x'.repeat(300_000)) as unknown as PipelineSpec;
    const input: RunInput = {
      runId: randomUUID(), runName: 'measured', pipelineName: 'measured', experimentId: 'e', spec, parameters: {},
      pipelineRoot: '/tmp', createdAt: new Date().toISOString(), parallelism: 1, heartbeatTimeoutSeconds: 15,
    };
    const plain = payloadsByteSize([defaultPayloadConverter.toPayload(input)]);
    const compressed = await workflows.startInputBytes(input);
    expect(compressed).toBeLessThan(plain / 10);
    // Within the limit as it is: its plain size answers, and it fits either way.
    expect(await workflows.startInputBytes(input, MAX_START_INPUT_BYTES)).toBe(plain);
    // Past `enough` as plain JSON: measured as the start would send it.
    expect(await workflows.startInputBytes(input, plain - 1)).toBe(compressed);
  } finally {
    await connection.close();
  }
});

test("a recurring run's schedule action is held to the same limit: 400 naming pipeline_spec, no row, no schedule", async () => {
  const spec = blobSpec('huge-recurring', incompressibleString(3 * 1024 * 1024));
  const res = await h.call('POST', `${API}/recurringruns`, {
    display_name: 'huge',
    pipeline_spec: spec,
    trigger: { periodic_schedule: { interval_second: 3600 } },
  });
  expect(res.status).toBe(400);
  expect(res.body.details[0].field_violations[0].field).toBe('pipeline_spec');
  expect((await h.store.listRecurringRuns({}, {})).totalSize).toBe(0);
});
