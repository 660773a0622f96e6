/**
 * Shared pieces of the pod builder's tests: a launch shaped like the ones `runTask` prepares, the
 * runner's config, and an independent check that a pod is one the API server would accept.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { PodLaunch } from '../../../activities/runners/kubernetes/pod-launch';
import { PodSpecError } from '../../../activities/runners/kubernetes/pod-spec-error';
import { parseKubernetesPlatform } from '../../../activities/runners/kubernetes/platform-config';
import { parseKubernetesRunnerConfig, type KubernetesRunnerConfig } from '../../../activities/runners/kubernetes/runner-config';

export const ARTIFACTS = '/var/lib/sluice/artifacts';
export const EXEC = 'exec-train';
export const EXEC_PATH = `platforms.kubernetes.deploymentSpec.executors.${EXEC}`;

export function runnerConfig(overrides: Record<string, unknown> = {}): KubernetesRunnerConfig {
  return parseKubernetesRunnerConfig({ artifactStore: { mountPath: ARTIFACTS }, ...overrides });
}

/** The platform document of a run whose executor `exec-train` has `executorConfig`. */
export function platformWith(executorConfig: unknown, pipelineConfig?: unknown): unknown {
  return { platforms: { kubernetes: { deploymentSpec: { executors: { [EXEC]: executorConfig } }, ...(pipelineConfig ? { pipelineConfig } : {}) } } };
}

export function podLaunch(overrides: Partial<PodLaunch> = {}): PodLaunch {
  const taskDir = `${ARTIFACTS}/run-1/root/train`;
  return {
    name: 'run-1-root-train-1',
    image: 'python:3.11',
    argv: ['python3', '-c', 'print("hi")'],
    env: { PYTHONPATH: `${taskDir}/launches/1/python`, PIP_TARGET: `${taskDir}/launches/1/python` },
    workDir: `${taskDir}/launches/1`,
    logFile: `${taskDir}/logs/launch-1.log`,
    writableDirs: [`${taskDir}/launches/1/outputs`, `${taskDir}/outputs/model`],
    runId: 'run-1',
    taskPath: 'root/train',
    launch: 1,
    executorLabel: EXEC,
    inputParameters: {},
    platform: parseKubernetesPlatform(undefined),
    scope: { parameters: {}, taskOutputs: {} },
    ...overrides,
  };
}

/** A launch of `exec-train` configured with `executorConfig` (the JSON the kfp compiler writes). */
export function launchWith(executorConfig: unknown, overrides: Partial<PodLaunch> = {}): PodLaunch {
  return podLaunch({ platform: parseKubernetesPlatform(platformWith(executorConfig)), ...overrides });
}

export function main(pod: V1Pod): V1Container {
  return pod.spec?.containers[0] as V1Container;
}

/** The first issue of the PodSpecError `build` throws. */
export function issueOf(build: () => unknown): { path: string; message: string } {
  try {
    build();
  } catch (error) {
    if (error instanceof PodSpecError) return error.issues[0];
    throw error;
  }
  throw new Error('expected a PodSpecError, but the pod was built');
}

// Written from the Kubernetes API's rules, not from the builder's own helpers.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const LABEL_KEY = /^(([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Every problem the API server would find in the parts of `pod` that the builder sets; empty when none. */
export function podProblems(pod: V1Pod): string[] {
  const problems: string[] = [];
  const spec = pod.spec;
  const name = pod.metadata?.name ?? '';
  if (!DNS_LABEL.test(name)) problems.push(`pod name ${name}`);
  for (const [key, value] of Object.entries(pod.metadata?.labels ?? {})) {
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) problems.push(`label ${key}=${value}`);
  }
  if (!spec) return [...problems, 'no spec'];
  if (spec.restartPolicy !== 'Never') problems.push('restartPolicy');
  const volumeNames = (spec.volumes ?? []).map((v) => v.name);
  if (new Set(volumeNames).size !== volumeNames.length) problems.push(`duplicate volume names ${volumeNames}`);
  for (const volume of volumeNames) if (!DNS_LABEL.test(volume)) problems.push(`volume name ${volume}`);
  const containers = [...(spec.initContainers ?? []), ...spec.containers];
  const containerNames = containers.map((c) => c.name);
  if (new Set(containerNames).size !== containerNames.length) problems.push(`duplicate container names ${containerNames}`);
  for (const container of containers) {
    if (!DNS_LABEL.test(container.name)) problems.push(`container name ${container.name}`);
    if (!container.image) problems.push(`${container.name} has no image`);
    const paths = (container.volumeMounts ?? []).map((m) => m.mountPath.replace(/\/+$/, ''));
    if (new Set(paths).size !== paths.length) problems.push(`duplicate mount paths in ${container.name}`);
    for (const mount of container.volumeMounts ?? []) {
      if (!mount.mountPath.startsWith('/')) problems.push(`relative mountPath ${mount.mountPath}`);
      if (!volumeNames.includes(mount.name)) problems.push(`mount of unknown volume ${mount.name}`);
    }
    const envNames = (container.env ?? []).map((e) => e.name);
    if (new Set(envNames).size !== envNames.length) problems.push(`duplicate env names in ${container.name}`);
  }
  return problems;
}

/**
 * Kubernetes' expansion of `$(VAR)` in command, args and env values (kubernetes
 * third_party/forked/golang/expansion, `Expand`), to see what a container really receives.
 */
export function kubeletExpand(input: string, env: Record<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') out += '$';
    else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close < 0) out += '$(';
      else {
        const name = rest.slice(1, close);
        out += Object.hasOwn(env, name) ? env[name] : `$(${name})`;
        advance = close + 1;
      }
    } else out += `$${rest[0]}`;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
