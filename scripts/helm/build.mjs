#!/usr/bin/env node
// Builds the pinned `helm` binary that the chart tests use, from source with the Go toolchain
// (`go install helm.sh/helm/v3/cmd/helm@<version>` through the Go module proxy), into
// ~/.cache/sluice/helm/<version>/helm. Idempotent: when that binary is there and reports the
// pinned version it returns at once. `SLUICE_HELM` names a helm binary to use instead (nothing
// is built then).
//
//   node scripts/helm/build.mjs           build if missing, print the path
//   node scripts/helm/build.mjs --check   print the path; exit 0 if it is there, 3 if not (never builds)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HELM_VERSION = 'v3.22.0';
const MODULE = 'helm.sh/helm/v3';
// The Kubernetes version `helm template`/`lint` assume without a cluster. Helm's Makefile sets it
// from go.mod's k8s.io/client-go (v0.37 for v3.22.0) with the flags below; a plain `go install`
// would leave Helm's fallback, 1.20, and differ from the released binary.
const DEFAULT_KUBE_VERSION = { major: '1', minor: '37' };

/** Where the pinned binary lives (or `SLUICE_HELM` when set). */
export function helmPath(env = process.env) {
  if (env.SLUICE_HELM) return env.SLUICE_HELM;
  const cache = env.SLUICE_CACHE_DIR || join(homedir(), '.cache', 'sluice');
  return join(cache, 'helm', HELM_VERSION, 'helm');
}

/** The version a helm binary reports (`v3.22.0`), or undefined when it does not run. */
export function helmVersion(bin) {
  if (!existsSync(bin)) return undefined;
  const res = spawnSync(bin, ['version', '--template', '{{ .Version }}'], { encoding: 'utf8', timeout: 30_000 });
  return res.status === 0 ? res.stdout.trim() : undefined;
}

/**
 * Returns the path of a working helm binary, building it first when needed. `log` gets one line
 * per step. Throws with a plain message when it cannot (no Go toolchain, the build failed).
 */
export function ensureHelm({ env = process.env, log = (line) => console.log(`helm: ${line}`) } = {}) {
  const bin = helmPath(env);
  if (env.SLUICE_HELM) {
    if (!helmVersion(bin)) throw new Error(`SLUICE_HELM points at ${bin}, which does not run (\`${bin} version\` failed)`);
    log(`using SLUICE_HELM=${bin}`);
    return bin;
  }
  const found = helmVersion(bin);
  if (found === HELM_VERSION) {
    log(`${bin} (${found}) is present`);
    return bin;
  }
  const go = env.GO || 'go';
  const probe = spawnSync(go, ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`building helm ${HELM_VERSION} needs the Go toolchain, and \`${go} version\` failed (${probe.error?.message ?? probe.stderr.trim()}); install Go, or set SLUICE_HELM to a helm binary`);
  }
  const dir = dirname(bin);
  mkdirSync(dir, { recursive: true });
  // Build into a scratch dir and move the binary into place, so an interrupted build never
  // leaves a half-written `helm` behind for the next run to trust.
  const scratch = mkdtempSync(join(dir, '.build-'));
  try {
    const ldflags = [
      `-X ${MODULE}/internal/version.version=${HELM_VERSION}`,
      `-X ${MODULE}/pkg/lint/rules.k8sVersionMajor=${DEFAULT_KUBE_VERSION.major}`,
      `-X ${MODULE}/pkg/lint/rules.k8sVersionMinor=${DEFAULT_KUBE_VERSION.minor}`,
      `-X ${MODULE}/pkg/chartutil.k8sVersionMajor=${DEFAULT_KUBE_VERSION.major}`,
      `-X ${MODULE}/pkg/chartutil.k8sVersionMinor=${DEFAULT_KUBE_VERSION.minor}`,
    ].join(' ');
    const args = ['install', '-trimpath', `-ldflags=-s -w ${ldflags}`, `${MODULE}/cmd/helm@${HELM_VERSION}`];
    log(`building helm ${HELM_VERSION} with ${probe.stdout.trim()} (go ${args.join(' ')}); the first build takes a few minutes`);
    const res = spawnSync(go, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...env, GOBIN: scratch, CGO_ENABLED: '0', GOFLAGS: `${env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    });
    if (res.error) throw new Error(`go install failed: ${res.error.message}`);
    if (res.status !== 0) throw new Error(`go install ${MODULE}/cmd/helm@${HELM_VERSION} failed with exit code ${res.status}`);
    renameSync(join(scratch, 'helm'), bin);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const built = helmVersion(bin);
  if (built !== HELM_VERSION) throw new Error(`built ${bin}, but it reports version ${built ?? '(none)'} instead of ${HELM_VERSION}`);
  log(`built ${bin} (${built})`);
  return bin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const bin = helmPath();
    console.log(bin);
    process.exit(helmVersion(bin) ? 0 : 3);
  }
  try {
    console.log(ensureHelm());
  } catch (err) {
    console.error(`helm: error: ${err.message}`);
    process.exit(1);
  }
}
