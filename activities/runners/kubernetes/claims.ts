/**
 * PersistentVolumeClaims the runner creates itself, built by pure functions like the pods:
 * kfp-kubernetes' CreatePVC / DeletePVC steps (images `argostub/createpvc`/`deletepvc`, which
 * KFP's driver carries out without a pod: backend/src/v2/driver/k8s.go `createPVC`, `deletePVC`)
 * and the pipeline workspace (KFP's compiler, argocompiler `GetWorkspacePVC`).
 */
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { claimIdFor } from '../../../ir/ids';
import { kubernetesStepOf } from '../../../ir/platform';
import { isPlainObject } from '../../../ir/records';
import type { ParameterValue } from '../../../ir/types';
import { launchMetadata, POD_ANNOTATIONS, POD_LABELS, userEntries } from './metadata';
import { isDnsSubdomain, labelValueFor } from './names';
import type { PodLaunch } from './pod-launch';
import { podSpecError } from './pod-spec-error';
import { ACCESS_MODES, type ClaimSpec, type WorkspaceConfig } from './platform-config';
import { quantityProblem } from './quantities';
import { workspaceClaimName } from './storage';

/** What a CreatePVC or DeletePVC launch does instead of running a pod. */
export type ClaimStep =
  | { kind: 'create'; claim: V1PersistentVolumeClaim }
  | { kind: 'delete'; claimName: string };

/** KFP's driver asks for this class when CreatePVC is given none (`storage_class_name` absent). */
const KFP_DEFAULT_STORAGE_CLASS = 'standard';

/** The CreatePVC/DeletePVC input `name`, as the task received it; `path` names it in errors. */
function input(launch: PodLaunch, name: string): { value: ParameterValue | undefined; path: string } {
  return { value: Object.hasOwn(launch.inputParameters, name) ? launch.inputParameters[name] : undefined, path: `inputs.parameters.${name}` };
}

/** A string input; an optional input left unset (absent or null) or empty is undefined. */
function text(launch: PodLaunch, name: string): string | undefined {
  const { value, path } = input(launch, name);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw podSpecError(path, `must be a string, not ${JSON.stringify(value)}`);
  return value;
}

/**
 * The claim's name as KFP's driver chooses it: `pvc_name`, or a UUID followed by
 * `pvc_name_suffix`, or a UUID alone. KFP's UUID is random; here it derives from the launch, so a
 * retried activity names the claim it already created.
 */
function claimName(launch: PodLaunch): string {
  const name = text(launch, 'pvc_name');
  const suffix = text(launch, 'pvc_name_suffix');
  if (name !== undefined && suffix !== undefined) throw podSpecError('inputs.parameters.pvc_name', 'at most one of pvc_name and pvc_name_suffix may be given');
  const chosen = name ?? `${claimIdFor(launch.runId, launch.taskPath, launch.launch)}${suffix ?? ''}`;
  if (!isDnsSubdomain(chosen)) {
    throw podSpecError(name !== undefined ? 'inputs.parameters.pvc_name' : 'inputs.parameters.pvc_name_suffix', `'${chosen}' is not a PersistentVolumeClaim name (a DNS-1123 subdomain: lowercase alphanumerics, '-' and '.', at most 253 characters)`);
  }
  return chosen;
}

function accessModes(launch: PodLaunch): string[] {
  const { value, path } = input(launch, 'access_modes');
  if (!Array.isArray(value) || value.length === 0) throw podSpecError(path, 'is required: a list of access modes (ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod)');
  value.forEach((mode, i) => {
    if (!(ACCESS_MODES as readonly unknown[]).includes(mode)) throw podSpecError(`${path}[${i}]`, `${JSON.stringify(mode)} is not an access mode (${ACCESS_MODES.join(', ')})`);
  });
  return value as string[];
}

function size(launch: PodLaunch): string {
  const value = text(launch, 'size');
  if (value === undefined) throw podSpecError('inputs.parameters.size', "is required: the claim's storage request, e.g. 5Gi");
  const problem = quantityProblem(value);
  if (problem) throw podSpecError('inputs.parameters.size', problem);
  return value;
}

/** `annotations` or `data_source`: a struct of strings, when given. */
function struct(launch: PodLaunch, name: string): Record<string, string> | undefined {
  const { value, path } = input(launch, name);
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw podSpecError(path, `must be a struct, not ${JSON.stringify(value)}`);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw podSpecError(`${path}.${key}`, `must be a string, not ${JSON.stringify(entry)}`);
  }
  return value as Record<string, string>;
}

/**
 * What launch `launch` does when its executor is kfp-kubernetes' CreatePVC or DeletePVC, else
 * undefined (a pod runs it). The claim of a CreatePVC carries KFP's inputs (`access_modes`,
 * `size`, `storage_class_name`, `volume_name`, `annotations`, `data_source`) and Sluice's labels
 * linking it to the run and task, by which the runner recognises it after a retry.
 *
 * @throws PodSpecError naming the input (`inputs.parameters.size`, …) that no claim can be made of.
 */
export function claimStepOf(launch: PodLaunch, namespace: string): ClaimStep | undefined {
  const step = kubernetesStepOf(launch.image);
  if (step === 'deletePvc') {
    const name = text(launch, 'pvc_name');
    if (name === undefined) throw podSpecError('inputs.parameters.pvc_name', 'is required: the name of the claim to delete');
    return { kind: 'delete', claimName: name };
  }
  if (step !== 'createPvc') return undefined;
  const own = launchMetadata(launch);
  const storageClass = input(launch, 'storage_class_name').value;
  const volumeName = text(launch, 'volume_name');
  const dataSource = struct(launch, 'data_source');
  return {
    kind: 'create',
    claim: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(launch),
        namespace,
        labels: own.labels,
        annotations: { ...own.annotations, ...userEntries(struct(launch, 'annotations'), 'inputs.parameters.annotations') },
      },
      spec: {
        accessModes: accessModes(launch),
        resources: { requests: { storage: size(launch) } },
        // As KFP's driver: absent asks for `standard`; given (even empty: a statically provisioned volume) is taken as is.
        storageClassName: storageClass === undefined ? KFP_DEFAULT_STORAGE_CLASS : String(storageClass ?? ''),
        ...(volumeName !== undefined ? { volumeName } : {}),
        ...(dataSource ? { dataSource: { apiGroup: dataSource.apiGroup, kind: dataSource.kind, name: dataSource.name } } : {}),
      },
    },
  };
}

/** The mode a workspace has unless the runner's defaults or the pipeline say otherwise: every task's pod mounts it, on any node. */
const WORKSPACE_ACCESS_MODES = ['ReadWriteMany'];

/**
 * Run `runId`'s workspace claim, as KFP's compiler makes it: the runner's default claim spec
 * (KFP's `workspace.volumeclaimtemplatespec` setting), the pipeline's `pvcSpecPatch` over it
 * field by field (a patch's `resources.requests` merged into the default's), and the
 * workspace's `size` as the storage request.
 */
export function workspaceClaim(runId: string, namespace: string, workspace: WorkspaceConfig, defaults: ClaimSpec): V1PersistentVolumeClaim {
  const patch = workspace.kubernetes?.pvcSpecPatch ?? {};
  const spec = { accessModes: WORKSPACE_ACCESS_MODES, ...defaults, ...patch };
  const requests = { ...defaults.resources?.requests, ...patch.resources?.requests, storage: workspace.size };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: workspaceClaimName(runId),
      namespace,
      labels: { [POD_LABELS.managedBy]: 'sluice', [POD_LABELS.runId]: labelValueFor(runId) },
      annotations: { [POD_ANNOTATIONS.runId]: runId },
    },
    spec: { ...spec, resources: { ...spec.resources, requests } },
  };
}
