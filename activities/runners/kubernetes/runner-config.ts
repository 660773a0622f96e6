/**
 * The Kubernetes runner's configuration: where step pods run and with which identity, what they
 * get by default, and where the artifact store is mounted. Parsed once at start-up; it joins the
 * main `ConfigSchema` (config/config.ts) when the runner is wired in.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../../config/config';
import { isDnsLabel, isDnsSubdomain, isLabelKey } from './names';
import { ClaimSpecSchema } from './platform-config';
import { resourceList } from './schema-parts';
import { issuesOf } from './zod-issues';

const dnsLabel = z.string().refine(isDnsLabel, 'must be a DNS-1123 label (lowercase alphanumerics and -, at most 63 characters)');
const dnsSubdomain = z.string().refine(isDnsSubdomain, 'must be a DNS-1123 subdomain');
const id = z.number().int().nonnegative();

/**
 * Least privilege by default: a non-root user with a fixed uid (an image whose USER is root
 * would otherwise be refused by `runAsNonRoot`), the runtime's seccomp profile, no privilege
 * escalation, every capability dropped. The artifact volume is shared with the worker, so the
 * uid, gid and fsGroup are what the worker must make its launch directories writable for.
 */
const SecurityContextConfigSchema = z
  .object({
    /** @default 1000 */
    runAsUser: id.default(1000),
    /** @default 1000 */
    runAsGroup: id.default(1000),
    /** Group that owns the pod's volumes (where the volume type supports it). @default 1000 */
    fsGroup: id.default(1000),
    /** False lets an executor's `securityContext` choose root. @default true */
    runAsNonRoot: z.boolean().default(true),
    /** True mounts an emptyDir at /tmp, where KFP's lightweight components write their program. @default false */
    readOnlyRootFilesystem: z.boolean().default(false),
    /** @default false */
    allowPrivilegeEscalation: z.boolean().default(false),
    /** @default RuntimeDefault */
    seccompProfile: z.enum(['RuntimeDefault', 'Unconfined']).default('RuntimeDefault'),
  })
  .strict()
  .refine((ctx) => !(ctx.runAsNonRoot && ctx.runAsUser === 0), { message: 'runAsUser 0 (root) contradicts runAsNonRoot', path: ['runAsUser'] });

export const KubernetesRunnerConfigSchema = z
  .object({
    /** Namespace of the step pods (and of the PVCs they mount). @default "default" */
    namespace: dnsLabel.default('default'),
    /** Service account of the step pods; the namespace's `default` when unset. */
    serviceAccountName: dnsSubdomain.optional(),
    /** Steps get no Kubernetes API token unless they need one. @default false */
    automountServiceAccountToken: z.boolean().default(false),
    /** Pulled with for every step pod, before an executor's own `imagePullSecret`s. @default [] */
    imagePullSecrets: z.array(dnsSubdomain).default([]),
    /**
     * Requests and limits of a resource (`cpu`, `memory`, …) the executor says nothing about;
     * never mixed with the executor's own request or limit of that resource, which could
     * otherwise invert them. @default requests cpu 100m, memory 128Mi; no limits
     */
    defaultResources: z
      .object({ requests: resourceList.default({}), limits: resourceList.default({}) })
      .strict()
      .default({ requests: { cpu: '100m', memory: '128Mi' }, limits: {} }),
    securityContext: SecurityContextConfigSchema.default({}),
    /**
     * The artifact store: a PVC the worker mounts too, at the same path in both, so artifact URIs
     * (absolute paths) mean the same file in the worker and in every step.
     */
    artifactStore: z
      .object({
        /** @default "sluice-artifacts" */
        claimName: dnsSubdomain.default('sluice-artifacts'),
        /** The worker's artifact root (`artifactRoot` of the main config). */
        mountPath: z.string().refine((path) => isAbsolute(path) && path !== '/', 'must be an absolute path below /'),
      })
      .strict(),
    /** The extended resource an accelerator type that names no resource (`NVIDIA_TESLA_T4`, `gpu`) asks for. @default nvidia.com/gpu */
    gpuResourceName: z.string().refine((name) => name.includes('/') && isLabelKey(name), 'must be an extended resource name (<domain>/<name>)').default('nvidia.com/gpu'),
    /** What happens to a finished step's pod: deleted, kept when it failed (to inspect), or kept. @default keep-failed */
    podRetention: z.enum(['delete', 'keep-failed', 'keep']).default('keep-failed'),
    /**
     * The claim spec a run's workspace starts from, before the pipeline's `pvcSpecPatch` and its
     * size (KFP's `workspace.volumeclaimtemplatespec` setting). @default ReadWriteMany, the
     * cluster's default StorageClass
     */
    workspaceClaim: ClaimSpecSchema.default({}),
  })
  .strict();

export type KubernetesRunnerConfig = z.output<typeof KubernetesRunnerConfigSchema>;

/** @throws ConfigError naming each bad field, as the main configuration does. */
export function parseKubernetesRunnerConfig(input: unknown): KubernetesRunnerConfig {
  const parsed = KubernetesRunnerConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = issuesOf(parsed.error, 'kubernetes', "the Kubernetes runner's configuration has no such field").map((issue) => `${issue.path}: ${issue.message}`);
  throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}
