/**
 * The kfp-kubernetes platform spec (`platforms.kubernetes` of a KFP upload's second document), as
 * zod schemas mirroring `kubernetes_executor_config.proto` in the JSON form the kfp compiler
 * writes (`json_format.MessageToDict`: camelCase names, int64 as text). Both generations of
 * kfp-kubernetes are accepted: the deprecated literal names (`secretName`, `configMapName`, a
 * PVC's `constant`/`componentInputParameter`/`taskOutputParameter`) and the `*Parameter` forms,
 * which newer SDKs write beside them and which win, as in KFP's driver.
 *
 * Every field of the proto has a schema here, and every schema is strict: a field this file does
 * not know (a newer proto, a typo, snake_case) is an error naming it, never ignored.
 */
import { z } from 'zod';
import { isPlainObject } from '../../../ir/records';
import { int64, quantity, resourceList } from './schema-parts';
import { parseOrThrow } from './zod-issues';

const nonNegative = int64.pipe(z.number().nonnegative());
const stringMap = z.record(z.string());

const TaskOutputParameterSchema = z.object({ producerTask: z.string().min(1), outputParameterKey: z.string().min(1) }).strict();

const PARAMETER_KINDS = ['componentInputParameter', 'taskOutputParameter', 'runtimeValue'] as const;

/**
 * `ml_pipelines.TaskInputsSpec.InputParameterSpec` where kfp-kubernetes takes a name or a JSON
 * value: a constant, an input of the task's enclosing DAG, or an upstream task's output.
 */
const ParameterSpecSchema = z
  .object({
    componentInputParameter: z.string().min(1).optional(),
    taskOutputParameter: TaskOutputParameterSchema.optional(),
    runtimeValue: z.object({ constant: z.unknown() }).strict().optional(),
    taskFinalStatus: z.unknown().optional(),
    parameterExpressionSelector: z.unknown().optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    for (const field of ['taskFinalStatus', 'parameterExpressionSelector'] as const) {
      if (spec[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'not supported here: a kfp-kubernetes value is a constant, an input of the enclosing DAG or an upstream task output' });
      }
    }
    const kinds = PARAMETER_KINDS.filter((kind) => spec[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `must set exactly one of ${PARAMETER_KINDS.join(', ')}${kinds.length ? ` (sets ${kinds.join(' and ')})` : ''}` });
    }
  });

/** The deprecated literal name or its `*Parameter` successor must be there. */
function needsName<T extends Record<string, unknown>>(literal: keyof T & string, parameter: keyof T & string) {
  return (value: T, ctx: z.RefinementCtx) => {
    if (!value[literal] && value[parameter] === undefined) {
      ctx.addIssue({ code: 'custom', path: [parameter], message: `is required (or the deprecated ${literal})` });
    }
  };
}

const SecretAsVolumeSchema = z
  .object({ secretName: z.string().optional(), mountPath: z.string(), optional: z.boolean().optional(), secretNameParameter: ParameterSpecSchema.optional() })
  .strict()
  .superRefine(needsName('secretName', 'secretNameParameter'));

const SecretAsEnvSchema = z
  .object({
    secretName: z.string().optional(),
    keyToEnv: z.array(z.object({ secretKey: z.string().min(1), envVar: z.string() }).strict()).default([]),
    optional: z.boolean().optional(),
    secretNameParameter: ParameterSpecSchema.optional(),
  })
  .strict()
  .superRefine(needsName('secretName', 'secretNameParameter'));

const PvcMountSchema = z
  .object({
    taskOutputParameter: TaskOutputParameterSchema.optional(),
    constant: z.string().optional(),
    componentInputParameter: z.string().optional(),
    mountPath: z.string(),
    pvcNameParameter: ParameterSpecSchema.optional(),
    subPath: z.string().optional(),
  })
  .strict()
  .superRefine((mount, ctx) => {
    if (mount.pvcNameParameter === undefined && !mount.constant && !mount.componentInputParameter && mount.taskOutputParameter === undefined) {
      ctx.addIssue({ code: 'custom', path: ['pvcNameParameter'], message: 'is required (or the deprecated constant, componentInputParameter or taskOutputParameter)' });
    }
  });

/** `labels`, unless `nodeSelectorJson` is set: the JSON takes precedence (the proto's rule). */
const NodeSelectorSchema = z.object({ labels: stringMap.optional(), nodeSelectorJson: ParameterSpecSchema.optional() }).strict();

const PodMetadataSchema = z.object({ labels: stringMap.optional(), annotations: stringMap.optional() }).strict();

const ImagePullSecretSchema = z
  .object({ secretName: z.string().optional(), secretNameParameter: ParameterSpecSchema.optional() })
  .strict()
  .superRefine(needsName('secretName', 'secretNameParameter'));

const ConfigMapAsVolumeSchema = z
  .object({ configMapName: z.string().optional(), mountPath: z.string(), optional: z.boolean().optional(), configMapNameParameter: ParameterSpecSchema.optional() })
  .strict()
  .superRefine(needsName('configMapName', 'configMapNameParameter'));

const ConfigMapAsEnvSchema = z
  .object({
    configMapName: z.string().optional(),
    keyToEnv: z.array(z.object({ configMapKey: z.string().min(1), envVar: z.string() }).strict()).default([]),
    configMapNameParameter: ParameterSpecSchema.optional(),
    optional: z.boolean().optional(),
  })
  .strict()
  .superRefine(needsName('configMapName', 'configMapNameParameter'));

const FieldPathAsEnvSchema = z.object({ name: z.string(), fieldPath: z.string().min(1) }).strict();

/** The literal fields, unless `tolerationJson` is set: the JSON takes precedence (the proto's rule). */
const TolerationSchema = z
  .object({
    key: z.string().optional(),
    operator: z.string().optional(),
    value: z.string().optional(),
    effect: z.string().optional(),
    tolerationSeconds: int64.optional(),
    tolerationJson: ParameterSpecSchema.optional(),
  })
  .strict();

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;

const GenericEphemeralVolumeSchema = z
  .object({
    volumeName: z.string(),
    mountPath: z.string(),
    accessModes: z.array(z.enum(ACCESS_MODES)).min(1),
    size: quantity,
    defaultStorageClass: z.boolean().optional(),
    storageClassName: z.string().optional(),
    metadata: PodMetadataSchema.optional(),
  })
  .strict();

const SelectorRequirementSchema = z.object({ key: z.string().min(1), operator: z.string(), values: z.array(z.string()).optional() }).strict();
const weight = int64.pipe(z.number().min(1).max(100));

/** Required when `weight` is absent, preferred with it; `nodeAffinityJson` takes precedence (the proto's rule). */
const NodeAffinityTermSchema = z
  .object({
    matchExpressions: z.array(SelectorRequirementSchema).optional(),
    matchFields: z.array(SelectorRequirementSchema).optional(),
    weight: weight.optional(),
    nodeAffinityJson: ParameterSpecSchema.optional(),
  })
  .strict();

const PodAffinityTermSchema = z
  .object({
    matchPodExpressions: z.array(SelectorRequirementSchema).optional(),
    matchPodLabels: stringMap.optional(),
    topologyKey: z.string().min(1, 'is required'),
    namespaces: z.array(z.string()).optional(),
    matchNamespaceExpressions: z.array(SelectorRequirementSchema).optional(),
    matchNamespaceLabels: stringMap.optional(),
    weight: weight.optional(),
    anti: z.boolean().optional(),
  })
  .strict();

const EnabledSharedMemorySchema = z.object({ volumeName: z.string().optional(), size: quantity.optional() }).strict();

const EmptyDirMountSchema = z
  .object({
    volumeName: z.string(),
    mountPath: z.string(),
    medium: z.string().regex(/^(|Memory|HugePages|HugePages-.+)$/, "must be '', Memory, HugePages or HugePages-<size>").optional(),
    sizeLimit: quantity.optional(),
  })
  .strict();

const SecurityContextSchema = z.object({ runAsUser: nonNegative.optional(), runAsGroup: nonNegative.optional(), runAsNonRoot: z.boolean().optional() }).strict();

const InitContainerSchema = z
  .object({
    name: z.string(),
    image: z.string().min(1, 'is required'),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    env: z.array(z.object({ name: z.string(), value: z.string().optional() }).strict()).optional(),
    volumeMounts: z.array(z.object({ volumeName: z.string().min(1), mountPath: z.string() }).strict()).optional(),
    restartPolicy: z.literal('Always', { errorMap: () => ({ message: "must be 'Always' (a native sidecar), the only value Kubernetes allows" }) }).optional(),
    resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).strict().optional(),
  })
  .strict();

/** `KubernetesExecutorConfig`: what one executor (`exec-*`) asks of its pod. */
const KubernetesExecutorConfigSchema = z
  .object({
    secretAsVolume: z.array(SecretAsVolumeSchema).optional(),
    secretAsEnv: z.array(SecretAsEnvSchema).optional(),
    pvcMount: z.array(PvcMountSchema).optional(),
    nodeSelector: NodeSelectorSchema.optional(),
    podMetadata: PodMetadataSchema.optional(),
    imagePullSecret: z.array(ImagePullSecretSchema).optional(),
    imagePullPolicy: z.enum(['Always', 'Never', 'IfNotPresent']).optional(),
    configMapAsVolume: z.array(ConfigMapAsVolumeSchema).optional(),
    configMapAsEnv: z.array(ConfigMapAsEnvSchema).optional(),
    /** 0 means none, as `kubernetes.set_timeout(task, 0)` writes it. */
    activeDeadlineSeconds: nonNegative.optional(),
    fieldPathAsEnv: z.array(FieldPathAsEnvSchema).optional(),
    tolerations: z.array(TolerationSchema).optional(),
    genericEphemeralVolume: z.array(GenericEphemeralVolumeSchema).optional(),
    nodeAffinity: z.array(NodeAffinityTermSchema).optional(),
    podAffinity: z.array(PodAffinityTermSchema).optional(),
    enabledSharedMemory: EnabledSharedMemorySchema.optional(),
    emptyDirMounts: z.array(EmptyDirMountSchema).optional(),
    securityContext: SecurityContextSchema.optional(),
    initContainers: z.array(InitContainerSchema).optional(),
  })
  .strict();

const LabelSelectorSchema = z.object({ matchLabels: stringMap.optional(), matchExpressions: z.array(SelectorRequirementSchema).optional() }).strict();
const ObjectReferenceSchema = z.object({ apiGroup: z.string().optional(), kind: z.string().min(1), name: z.string().min(1), namespace: z.string().optional() }).strict();

/**
 * A `PersistentVolumeClaimSpec` in the API's JSON form, every field optional: the runner's
 * default claim of a workspace and a pipeline's `pvcSpecPatch` over it. KFP's compiler rejects
 * an empty storage class for a workspace (it means "no class", which no provisioner serves).
 */
export const ClaimSpecSchema = z
  .object({
    accessModes: z.array(z.enum(ACCESS_MODES)).min(1).optional(),
    storageClassName: z.string().min(1, 'must be omitted (the cluster default) or name a StorageClass').optional(),
    volumeName: z.string().optional(),
    volumeMode: z.enum(['Filesystem', 'Block']).optional(),
    volumeAttributesClassName: z.string().optional(),
    resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).strict().optional(),
    selector: LabelSelectorSchema.optional(),
    dataSource: ObjectReferenceSchema.omit({ namespace: true }).optional(),
    dataSourceRef: ObjectReferenceSchema.optional(),
  })
  .strict();

/** `pipelineConfig.workspace`: a volume shared by the run's tasks at `{{$.workspace_path}}`. */
const WorkspaceConfigSchema = z
  .object({ size: quantity, kubernetes: z.object({ pvcSpecPatch: ClaimSpecSchema.optional() }).strict().optional() })
  .strict();

/**
 * `PipelineConfig`. The `resourceTtl*` fields say how long KFP keeps a finished run's Argo
 * workflow; they are run-level, not pod fields, and are kept for the runner's pod retention.
 */
const PipelineConfigSchema = z
  .object({
    workspace: WorkspaceConfigSchema.optional(),
    resourceTtlOnCompletion: int64.optional(),
    resourceTtlOnSuccess: int64.optional(),
    resourceTtlOnFailure: int64.optional(),
  })
  .strict();

const KubernetesPlatformSchema = z
  .object({
    deploymentSpec: z.object({ executors: z.record(KubernetesExecutorConfigSchema).default({}) }).strict().default({}),
    pipelineConfig: PipelineConfigSchema.optional(),
    platform: z.string().optional(),
  })
  .strict();

export type ParameterSpec = z.output<typeof ParameterSpecSchema>;
export type KubernetesExecutorConfig = z.output<typeof KubernetesExecutorConfigSchema>;
export type SelectorRequirement = z.output<typeof SelectorRequirementSchema>;
export type KubernetesPlatform = z.output<typeof KubernetesPlatformSchema>;
export type ClaimSpec = z.output<typeof ClaimSpecSchema>;
export type WorkspaceConfig = z.output<typeof WorkspaceConfigSchema>;

export const PLATFORM_PATH = 'platforms.kubernetes';

/** Where executor `label`'s settings sit in the platform document; every error below it starts so. */
export function executorPath(label: string): string {
  return `${PLATFORM_PATH}.deploymentSpec.executors.${label}`;
}

/**
 * The `platforms.kubernetes` section of a platform document (the whole second YAML document, or
 * a PipelineJob's `platformSpec`), parsed; empty when there is none. Other platforms are not
 * this runner's to read.
 *
 * @throws PodSpecError listing every malformed or unknown field, each by its path.
 */
export function parseKubernetesPlatform(platformSpec: unknown): KubernetesPlatform {
  const platforms = isPlainObject(platformSpec) ? platformSpec.platforms : undefined;
  const section = isPlainObject(platforms) ? platforms.kubernetes : undefined;
  return parseOrThrow(KubernetesPlatformSchema, section ?? {}, PLATFORM_PATH, "kfp-kubernetes' platform spec has no such field (names are camelCase, as the kfp compiler writes them)");
}
