import { sha256Hex } from './sha256';
import type { ArtifactRef } from './types';

/**
 * Ids derived lately. The hash is pure JavaScript (workflow code has no crypto module) and costs
 * microseconds; a page of a run's tasks derives the same parent id hundreds of times.
 */
const recent = new Map<string, string>();
const RECENT_IDS = 4096;

/**
 * A UUID-shaped id derived from `parts` by SHA-256, so the same inputs always give the same id
 * and a retried write lands on the same row. Version and variant bits are set as RFC 9562's
 * UUIDv8 (custom) requires, so the result passes any UUID validator. Pure, so workflow code
 * (placeholders such as `{{$.pipeline_task_uuid}}`) and the store derive identical ids.
 */
function deterministicUuid(...parts: string[]): string {
  // NUL cannot occur in a URI or task name, so distinct part lists never hash the same bytes.
  const key = parts.join('\0');
  let id = recent.get(key);
  if (id === undefined) {
    const hex = sha256Hex(key);
    const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    if (recent.size >= RECENT_IDS) recent.clear();
    recent.set(key, id);
  }
  return id;
}


/** The artifact id for a payload URI: registering the same URI twice yields the same id. */
export function artifactIdFor(uri: string): string {
  return deterministicUuid('artifact', uri);
}

/** Artifact refs by key (a task's inputs or outputs, a run's input artifacts) as the store keeps them: the ids their URIs give. */
export function artifactIdsByKey(byKey: Record<string, ArtifactRef[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(byKey).map(([key, refs]) => [key, refs.map((ref) => artifactIdFor(ref.uri))]));
}

/** The stable task id of `taskName` within `runId` (`TaskRecord.taskId`). */
export function taskIdFor(runId: string, taskName: string): string {
  return deterministicUuid('task', runId, taskName);
}

/**
 * The id in the name of a claim that launch `launch` of task `taskPath` creates (kfp-kubernetes'
 * CreatePVC, which KFP names with a random UUID): the same launch always names the same claim,
 * so a retried activity finds the claim it created instead of creating another.
 */
export function claimIdFor(runId: string, taskPath: string, launch: number): string {
  return deterministicUuid('claim', runId, taskPath, String(launch));
}
