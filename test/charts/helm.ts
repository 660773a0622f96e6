import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const CHART = join(ROOT, 'charts', 'sluice');
export const VALUES_ALL = join(__dirname, 'values-all.yaml');
const BUILD_SCRIPT = join(ROOT, 'scripts', 'helm', 'build.mjs');

/** A Kubernetes object as rendered; tests index into it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The pinned helm binary, as `scripts/helm/build.mjs --check` finds it (SLUICE_HELM, else
 * ~/.cache/sluice/helm/<version>/helm), or why there is none. Never builds: that takes minutes,
 * and is the setup step's job (`node scripts/helm/build.mjs`).
 */
export function findHelm(): { helm?: string; reason?: string } {
  const res = spawnSync(process.execPath, [BUILD_SCRIPT, '--check'], { encoding: 'utf8' });
  const path = res.stdout.trim();
  if (res.status === 0) return { helm: path };
  return { reason: `no helm binary at ${path || '(unknown path)'}${res.stderr ? ` (${res.stderr.trim()})` : ''}; \`node scripts/helm/build.mjs\` builds it (Go toolchain needed), or set SLUICE_HELM` };
}

export function runHelm(helm: string, args: string[], env: NodeJS.ProcessEnv = process.env): HelmResult {
  const res = spawnSync(helm, args, { encoding: 'utf8', env, timeout: 120_000 });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  /** `--set` pairs (key=value). */
  set?: string[];
}

export function templateArgs(opts: RenderOptions = {}): string[] {
  return [
    'template', opts.release ?? 'rel', CHART,
    '--namespace', opts.namespace ?? 'sluice',
    ...(opts.valuesFiles ?? []).flatMap((f) => ['--values', f]),
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
  ];
}

/** `helm template` output parsed as YAML 1.1, as Kubernetes reads it. Throws with helm's message when it fails. */
export function render(helm: string, opts: RenderOptions = {}): K8sObject[] {
  const res = runHelm(helm, templateArgs(opts));
  if (res.status !== 0) throw new Error(`helm template failed (${res.status}): ${res.stderr}`);
  return parseManifests(res.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((doc) => {
      if (doc.errors.length) throw new Error(`helm rendered invalid YAML: ${doc.errors[0].message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** The one object of this kind whose name ends with `suffix`. */
export function one(objects: K8sObject[], kind: string, suffix = ''): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${kind} named *${suffix}, found ${found.map((o) => o.metadata.name).join(', ') || 'none'}`);
  return found[0];
}
