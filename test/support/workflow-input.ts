import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { payloadsByteSize, SLUICE_DATA_CONVERTER } from '../../config/payload-codec';

export interface StartInput<T> {
  value: T;
  /** Bytes of the input as Temporal stores it (compressed when the codec shrank it). */
  storedBytes: number;
  /** Bytes of the input as JSON, before the codec. */
  jsonBytes: number;
}

/**
 * The argument a workflow was started with, read from its first history event and decoded as its
 * worker decodes it (the codecs of every Sluice client and worker, undone in reverse order).
 */
export async function workflowStartInput<T>(client: Client, workflowId: string): Promise<StartInput<T>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const stored = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  if (stored.length === 0) throw new Error(`workflow ${workflowId} has no start input`);
  const decoded = await decodePayloads(stored);
  return { value: defaultPayloadConverter.fromPayload<T>(decoded[0]), storedBytes: payloadsByteSize(stored), jsonBytes: decoded[0].data?.length ?? 0 };
}

/** Payloads from a history, with the codecs of every Sluice client and worker undone (in reverse order). */
export async function decodePayloads(stored: Payload[]): Promise<Payload[]> {
  let decoded = stored;
  for (const codec of [...(SLUICE_DATA_CONVERTER.payloadCodecs ?? [])].reverse()) decoded = await codec.decode(decoded);
  return decoded;
}
