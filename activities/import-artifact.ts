import { posix } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../config/constants';
import { PlaceholderError } from '../ir/errors';
import { artifactIdFor } from '../ir/ids';
import { resolveConstantPlaceholders } from '../ir/placeholders';
import { isPlainObject } from '../ir/records';
import { launchNameFor } from '../ir/task-path';
import type { ArtifactRef, ParameterValue } from '../ir/types';
import type { MetadataStore } from '../store/types';
import { TaskRecorder } from './task-recorder';
import type { ImportArtifactInput, TaskActivityInput, TaskActivityResult } from './types';

/** The importer's only launch: it runs no process, so it has exactly one. */
const LAUNCH = 1;

/**
 * KFP's importer (`dsl.importer`) as an activity: registers the artifact at a URI as the task's
 * single output, records the task (RUNNING, then SUCCEEDED, with artifact and lineage) and
 * returns it for downstream tasks. As in KFP's importer launcher, the URI is not checked or
 * read: a local path that does not exist or a `gs://`, `s3://`, `oci://` URI is registered as
 * a reference all the same, and nothing is downloaded.
 *
 * `reimport: false` (kfp's default) reuses the artifact already registered with the URI,
 * unchanged; `reimport: true` registers it again from this spec (the store keeps one artifact
 * per URI, so that updates its name, type and metadata). A retried activity returns what the
 * first one recorded.
 *
 * @throws ApplicationFailure, non-retryable, of type `InvalidTask`, when the spec yields no URI
 *   or the metadata refers to an input the task does not have.
 */
export function createImportArtifact(store: MetadataStore) {
  return async function importArtifact(input: ImportArtifactInput): Promise<TaskActivityResult> {
    const recorder = new TaskRecorder(store, recorderInput(input));
    const podName = launchNameFor(input.runId, input.taskPath, LAUNCH);
    const [recorded] = (await store.listTaskAttempts(input.runId, input.taskPath)).filter((a) => a.state === 'SUCCEEDED');
    if (recorded) return recorder.recordedResult(LAUNCH, podName);

    const key = outputKey(input);
    const uri = artifactUri(input);
    const existing = input.importer.reimport ? undefined : await store.getArtifact(artifactIdFor(uri));
    const artifact: ArtifactRef = existing
      ? { name: existing.name, uri, schemaTitle: existing.schemaTitle, schemaVersion: existing.schemaVersion, metadata: existing.metadata }
      : {
        name: artifactName(uri),
        uri,
        schemaTitle: input.importer.typeSchema.schemaTitle ?? 'system.Artifact',
        schemaVersion: input.importer.typeSchema.schemaVersion ?? '0.0.1',
        metadata: resolveMetadata(input),
      };
    const outputs = { parameters: {}, artifacts: { [key]: [artifact] } };
    await recorder.started(LAUNCH, podName, '');
    await recorder.succeeded(LAUNCH, outputs);
    return { outputs, attempts: LAUNCH, podName };
  };
}

/**
 * TaskRecorder reads only the run, the task's path and component, and its inputs (an importer
 * has no input artifacts and no container). Until it declares that narrower type, the importer's
 * view is asserted to be a task input.
 */
function recorderInput(input: ImportArtifactInput): TaskActivityInput {
  const view: Pick<TaskActivityInput, 'runId' | 'taskPath' | 'displayName' | 'componentName' | 'inputs' | 'outputDefinitions'> = {
    runId: input.runId,
    taskPath: input.taskPath,
    displayName: input.displayName,
    componentName: input.componentName,
    inputs: { parameters: input.inputParameters, artifacts: {} },
    outputDefinitions: input.outputDefinitions,
  };
  return view as TaskActivityInput;
}

function invalid(input: ImportArtifactInput, reason: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `importer ${input.taskPath}: ${reason}`, type: FailureTypes.invalidTask, nonRetryable: true });
}

/** The component's single output artifact; kfp names it `artifact`. */
function outputKey(input: ImportArtifactInput): string {
  const keys = Object.keys(input.outputDefinitions?.artifacts ?? {});
  if (keys.length === 0) return 'artifact';
  if (keys.length > 1) throw invalid(input, `an importer has one output artifact, component ${input.componentName} declares ${keys.join(', ')}`);
  return keys[0];
}

function artifactUri(input: ImportArtifactInput): string {
  const { constant, runtimeParameter } = input.importer.artifactUri;
  let value: ParameterValue | undefined;
  if (constant !== undefined) {
    value = isPlainObject(constant) ? constant.stringValue : constant;
  } else if (runtimeParameter) {
    if (!Object.hasOwn(input.inputParameters, runtimeParameter)) throw invalid(input, `its URI comes from input parameter '${runtimeParameter}', which the task does not have`);
    value = input.inputParameters[runtimeParameter];
  } else {
    throw invalid(input, 'artifactUri has neither constant nor runtimeParameter');
  }
  if (typeof value !== 'string' || value === '') throw invalid(input, `the artifact URI must be a non-empty string, got ${JSON.stringify(value ?? null)}`);
  return value;
}

/** The URI's last path segment, as KFP names an imported artifact. */
function artifactName(uri: string): string {
  const path = uri.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '/').replace(/\/+$/, '');
  return posix.basename(path) || uri;
}

/** The spec's metadata with `{{$.inputs.parameters['x']}}` resolved in every string, at any depth. */
function resolveMetadata(input: ImportArtifactInput): Record<string, ParameterValue> {
  const resolve = (value: ParameterValue): ParameterValue => {
    if (typeof value === 'string') return resolveConstantPlaceholders(value, undefined, input.inputParameters);
    if (Array.isArray(value)) return value.map(resolve);
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    return value;
  };
  try {
    return Object.fromEntries(Object.entries(input.importer.metadata ?? {}).map(([k, v]) => [k, resolve(v)]));
  } catch (err) {
    if (err instanceof PlaceholderError) throw invalid(input, `metadata placeholder ${err.message}`);
    throw err;
  }
}
