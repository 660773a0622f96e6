/**
 * The cache fingerprint of a container task, as KFP's backend computes it
 * (`backend/src/v2/cacheutils/cache.go` `GenerateCacheKey` and `GenerateFingerPrint`,
 * `backend/src/v2/driver/cache.go` `getFingerPrint`). Pure: the workflow computes it, so a
 * replay computes the same value, and two runs of the same step agree on it.
 */
import { artifactIdFor } from './ids';
import { sha256Hex } from './sha256';
import type { ComponentSpec, ContainerSpec, ParameterValue, PipelineSpec, PipelineTaskSpec, TaskOutputs } from './types';
import { sortedJson } from './sorted-json';

/**
 * KFP's `CacheKey` message (`api/v2alpha1/cache_key.proto`) in its protojson form: field names
 * in lowerCamelCase, empty maps, lists and strings left out.
 */
export interface CacheKey {
  /** Input artifact name → the identities of its artifacts (Sluice's artifact ids; KFP's MLMD names). */
  inputArtifactNames?: Record<string, { artifactNames: string[] }>;
  inputParameterValues?: Record<string, ParameterValue>;
  /** Output artifact name → its type (KFP's RuntimeArtifact with the URI wiped). */
  outputArtifactsSpec?: Record<string, { type: Record<string, string> }>;
  /** Output parameter name → its type (`STRING`, `NUMBER_INTEGER`, …). */
  outputParametersSpec?: Record<string, string>;
  containerSpec: { image?: string; cmdArgs?: string[] };
}

/**
 * What the workflow tells a task's activity about caching. `fingerprint` is set when caching is
 * on for the task (`cachingOptions.enableCache`); the deployment's switch is the worker's to apply.
 */
export interface TaskCachePlan {
  fingerprint?: string;
  /** True when the fingerprint comes from the task's `cachingOptions.cacheKey`. */
  customKey?: boolean;
}

/**
 * The task's cache plan: no fingerprint when `cachingOptions.enableCache` is not true (kfp's
 * compiler writes `enableCache: true` unless told otherwise, and `kfp.Client`'s
 * `enable_caching=False` rewrites every task's flag to false before sending the spec).
 */
export function taskCachePlan(task: PipelineTaskSpec, component: ComponentSpec, container: ContainerSpec, inputs: TaskOutputs): TaskCachePlan {
  if (task.cachingOptions?.enableCache !== true) return {};
  const custom = task.cachingOptions.cacheKey;
  if (custom) return { fingerprint: customFingerprint(task.componentRef.name, custom), customKey: true };
  return { fingerprint: fingerprintOf(cacheKeyOf(container, inputs, component)) };
}

/**
 * The spec with every task's `cachingOptions.enableCache` set to `enabled`, custom keys kept: a
 * run's switch, as `kfp.Client`'s `enable_caching` is one (which rewrites only the root DAG's
 * tasks; this rewrites every DAG's, so nested pipelines follow too).
 */
export function withCaching(spec: PipelineSpec, enabled: boolean): PipelineSpec {
  const rewrite = <T extends Pick<ComponentSpec, 'dag'>>(owner: T): T => {
    if (!owner.dag) return owner;
    const tasks = Object.fromEntries(Object.entries(owner.dag.tasks).map(([name, task]) => [name, { ...task, cachingOptions: { ...task.cachingOptions, enableCache: enabled } }]));
    return { ...owner, dag: { ...owner.dag, tasks } };
  };
  const components = Object.fromEntries(Object.entries(spec.components ?? {}).map(([name, component]) => [name, rewrite(component)]));
  return { ...spec, root: rewrite(spec.root), components };
}

/**
 * KFP's automatic key. KFP also lists the names of the PVCs kfp-kubernetes mounts; Sluice
 * leaves them out (a task's mounts come from the platform spec, not from what it computes).
 */
export function cacheKeyOf(container: ContainerSpec, inputs: TaskOutputs, component: Pick<ComponentSpec, 'outputDefinitions'>): CacheKey {
  const key: CacheKey = { containerSpec: nonEmpty({ image: container.image, cmdArgs: [...(container.command ?? []), ...(container.args ?? [])] }) };
  const artifacts = Object.entries(inputs.artifacts).map(([name, refs]) => [name, { artifactNames: refs.map((r) => artifactIdFor(r.uri)) }] as const);
  if (artifacts.length > 0) key.inputArtifactNames = Object.fromEntries(artifacts);
  if (Object.keys(inputs.parameters).length > 0) key.inputParameterValues = inputs.parameters;
  const outputArtifacts = Object.entries(component.outputDefinitions?.artifacts ?? {});
  if (outputArtifacts.length > 0) {
    key.outputArtifactsSpec = Object.fromEntries(outputArtifacts.map(([name, spec]) => [name, { type: nonEmpty({ ...spec.artifactType }) as Record<string, string> }]));
  }
  const outputParameters = Object.entries(component.outputDefinitions?.parameters ?? {});
  if (outputParameters.length > 0) key.outputParametersSpec = Object.fromEntries(outputParameters.map(([name, spec]) => [name, spec.parameterType]));
  return key;
}

/**
 * sha256 of the key as KFP hashes it: protojson re-marshalled by Go's encoding/json, which sorts
 * object keys and escapes `<`, `>`, `&`, U+2028 and U+2029.
 */
export function fingerprintOf(key: CacheKey): string {
  return sha256Hex(goJson(key));
}

/**
 * A custom `cachingOptions.cacheKey` replaces every automatic part; the component name joins
 * it (NUL-separated, as KFP does) so two components given the same key never share entries.
 */
export function customFingerprint(componentName: string, cacheKey: string): string {
  return sha256Hex(componentName ? `${componentName}\u0000${cacheKey}` : cacheKey);
}

/** Go's `json.Marshal` of a decoded JSON value: sorted keys, no spaces, HTML-safe escapes. */
function goJson(value: unknown): string {
  return sortedJson(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `o` without the empty strings and lists protojson leaves out. */
function nonEmpty<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))) as Partial<T>;
}
