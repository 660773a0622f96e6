/**
 * The subset of KFP's `PipelineSpec` (IR schemaVersion 2.1.0) that Sluice reads, as plain types.
 * Field names are the IR's own (camelCase, as the protobuf JSON mapping writes them), so a spec
 * compiled by the `kfp` Python SDK parses without translation. Fields Sluice does not interpret
 * are kept (index signatures) so a stored spec round-trips unchanged.
 */

export type ParameterType =
  | 'STRING'
  | 'NUMBER_INTEGER'
  | 'NUMBER_DOUBLE'
  | 'BOOLEAN'
  | 'LIST'
  | 'STRUCT'
  | 'TASK_FINAL_STATUS';

/** A JSON value as a KFP parameter carries it (protobuf `Value`). */
export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [k: string]: ParameterValue };

export interface ArtifactTypeSchema {
  schemaTitle?: string;
  schemaVersion?: string;
  instanceSchema?: string;
}

export interface ParameterSpec {
  parameterType: ParameterType;
  defaultValue?: ParameterValue;
  isOptional?: boolean;
  description?: string;
}

export interface ArtifactSpec {
  artifactType: ArtifactTypeSchema;
  isArtifactList?: boolean;
  isOptional?: boolean;
  description?: string;
}

export interface InputDefinitions {
  parameters?: Record<string, ParameterSpec>;
  artifacts?: Record<string, ArtifactSpec>;
}

export interface OutputDefinitions {
  parameters?: Record<string, { parameterType: ParameterType; description?: string }>;
  artifacts?: Record<string, ArtifactSpec>;
}

export interface TaskInputParameter {
  runtimeValue?: { constant?: ParameterValue };
  componentInputParameter?: string;
  taskOutputParameter?: { producerTask: string; outputParameterKey: string };
  taskFinalStatus?: { producerTask: string };
  parameterExpressionSelector?: string;
}

export interface TaskInputArtifact {
  taskOutputArtifact?: { producerTask: string; outputArtifactKey: string };
  componentInputArtifact?: string;
}

export interface RetryPolicy {
  maxRetryCount?: number;
  /** Protobuf Duration JSON, e.g. "0s", "1.5s". */
  backoffDuration?: string;
  backoffFactor?: number;
  backoffMaxDuration?: string;
}

export interface PipelineTaskSpec {
  taskInfo: { name: string };
  componentRef: { name: string };
  dependentTasks?: string[];
  inputs?: {
    parameters?: Record<string, TaskInputParameter>;
    artifacts?: Record<string, TaskInputArtifact>;
  };
  cachingOptions?: { enableCache?: boolean; cacheKey?: string };
  retryPolicy?: RetryPolicy;
  triggerPolicy?: { condition?: string; strategy?: string };
  iteratorPolicy?: { parallelismLimit?: number };
  parameterIterator?: unknown;
  artifactIterator?: unknown;
  [extra: string]: unknown;
}

export interface DagSpec {
  tasks: Record<string, PipelineTaskSpec>;
  outputs?: unknown;
}

export interface ComponentSpec {
  inputDefinitions?: InputDefinitions;
  outputDefinitions?: OutputDefinitions;
  executorLabel?: string;
  dag?: DagSpec;
  [extra: string]: unknown;
}

/**
 * A structured argument in `command`/`args`. In compiled IR these appear as JSON *strings*
 * (e.g. `'{"IfPresent": {...}}'`); the SDKs may also emit them as objects.
 */
export type StructuredArg =
  | string
  | { IfPresent: { InputName: string; Then?: StructuredArg | StructuredArg[]; Else?: StructuredArg | StructuredArg[] } }
  | { Concat: StructuredArg[] };

/**
 * KFP's `ResourceSpec`. The `resource*` strings (and the accelerator's `resourceType` and
 * `resourceCount`) may hold a `{{$.inputs.parameters['x']}}` placeholder; the numeric fields are
 * their deprecated static forms (cpu in cores, memory in GB), which kfp still writes beside them.
 */
export interface ResourceSpec {
  resourceCpuLimit?: string;
  resourceCpuRequest?: string;
  resourceMemoryLimit?: string;
  resourceMemoryRequest?: string;
  cpuLimit?: number;
  cpuRequest?: number;
  memoryLimit?: number;
  memoryRequest?: number;
  /** `count` is an int64, which protobuf's JSON mapping may write as a string. */
  accelerator?: { resourceType?: string; resourceCount?: string; type?: string; count?: number | string };
  [extra: string]: unknown;
}

export interface ContainerSpec {
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  resources?: ResourceSpec;
  [extra: string]: unknown;
}

export interface ExecutorSpec {
  container?: ContainerSpec;
  importer?: unknown;
  resolver?: unknown;
  [extra: string]: unknown;
}

export interface PipelineSpec {
  pipelineInfo: { name: string; displayName?: string; description?: string };
  schemaVersion: string;
  sdkVersion?: string;
  components: Record<string, ComponentSpec>;
  deploymentSpec: { executors: Record<string, ExecutorSpec> };
  root: ComponentSpec & { dag: DagSpec };
  defaultPipelineRoot?: string;
  [extra: string]: unknown;
}

/** An artifact as it travels between tasks: only its address and small metadata, never data. */
export interface ArtifactRef {
  /** Artifact name as KFP's executor sees it (`name` in executor input). */
  name: string;
  /** Absolute path (local store) or URL of the artifact's payload. */
  uri: string;
  /** `schemaTitle` of the artifact type, e.g. `system.Dataset`. */
  schemaTitle: string;
  schemaVersion: string;
  metadata: Record<string, ParameterValue>;
}

/** What a finished task produced: its output parameters and artifacts by output name. */
export interface TaskOutputs {
  parameters: Record<string, ParameterValue>;
  artifacts: Record<string, ArtifactRef[]>;
}
