#!/usr/bin/env node
// Builds the binaries of the Kubernetes test control plane (etcd, kube-apiserver, kube-scheduler,
// kube-controller-manager, kwok) from the Go module proxy with the machine's Go, into a cache
// shared by every worktree: ~/.cache/sluice/k8s, or $SLUICE_K8S_CACHE. A stamp file records what
// was built, so a run with everything present returns at once. SLUICE_SKIP_K8S=1 skips it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const KUBERNETES = 'v1.34.4';
// The staging modules (k8s.io/api, client-go, ...) are published with the same minor as v0.x.
const STAGING = KUBERNETES.replace(/^v1\./, 'v0.');
const ETCD = 'v3.6.16';
const KWOK = 'v0.8.0';

const cache = process.env.SLUICE_K8S_CACHE || join(homedir(), '.cache', 'sluice', 'k8s');
const bin = join(cache, 'bin');
const stampFile = join(cache, 'stamp.json');

const say = (msg) => console.log(`k8s: ${msg}`);
function fail(msg) {
  console.error(`k8s: error: ${msg}`);
  process.exit(1);
}

/**
 * Each group is one wrapper module, built with one `go build`. Separate modules because kwok
 * pins its own k8s.io library versions, which must not be lifted to kubernetes' (or back).
 */
const groups = [
  {
    name: 'kubernetes',
    module: 'k8s.io/kubernetes',
    version: KUBERNETES,
    binaries: ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager'],
    packages: ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager'].map((c) => `k8s.io/kubernetes/cmd/${c}`),
    goMod: kubernetesGoMod,
    // Without these the servers report v0.0.0-master, and clients and kwok treat them as such.
    ldflags: ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
      `-X ${pkg}.gitVersion=${KUBERNETES}`,
      `-X ${pkg}.gitMajor=${KUBERNETES.split('.')[0].slice(1)}`,
      `-X ${pkg}.gitMinor=${KUBERNETES.split('.')[1]}`,
      `-X ${pkg}.gitTreeState=clean`,
    ]),
  },
  {
    name: 'etcd',
    module: 'go.etcd.io/etcd/server/v3',
    version: ETCD,
    binaries: ['etcd'],
    packages: ['go.etcd.io/etcd/server/v3'],
    // etcd's server module points its sibling modules at ../ with replace directives, which only
    // count in etcd's own repository; from a wrapper its requirements resolve to the published ones.
    goMod: () => 'module sluice.local/k8s/etcd\n\ngo 1.24.0\n',
  },
  {
    name: 'kwok',
    module: 'sigs.k8s.io/kwok',
    version: KWOK,
    binaries: ['kwok'],
    packages: ['sigs.k8s.io/kwok/cmd/kwok'],
    goMod: () => 'module sluice.local/k8s/kwok\n\ngo 1.24.0\n',
    // Pod logs are configured per pod with kwok's Logs resource, whose CRD the control plane installs.
    files: { 'kwok-logs-crd.yaml': 'kustomize/crd/bases/kwok.x-k8s.io_logs.yaml' },
  },
];

if (process.env.SLUICE_SKIP_K8S === '1') {
  say('skipped (SLUICE_SKIP_K8S=1): the Kubernetes tests will skip too');
  process.exit(0);
}

const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : {};
const outputs = (g) => [...g.binaries.map((b) => join(bin, b)), ...Object.keys(g.files ?? {}).map((f) => join(cache, f))];
const stale = groups.filter((g) => stamp[g.name] !== g.version || !outputs(g).every((f) => existsSync(f)));
if (stale.length === 0) {
  say(`up to date in ${bin}`);
  process.exit(0);
}

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.error) fail(`Go builds the Kubernetes test binaries and was not found on PATH (${go.error.message}); install Go 1.26 or newer, or set SLUICE_SKIP_K8S=1 to skip the Kubernetes tests`);
if (go.status !== 0) fail(`go version failed:\n${go.stderr}`);
say(`building into ${bin} with ${go.stdout.trim()} (minutes while Go's build cache is cold)`);
mkdirSync(bin, { recursive: true });
for (const group of stale) {
  const started = Date.now();
  say(`building ${group.binaries.join(', ')} ${group.version} ...`);
  const dir = join(cache, 'src', group.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), group.goMod());
  goIn(dir, ['get', ...group.packages.map((p) => `${p}@${group.version}`)]);
  goIn(dir, [
    'build', '-trimpath', '-p', '2',
    '-ldflags', ['-s', '-w', ...(group.ldflags ?? [])].join(' '),
    // One package gets its binary's name (etcd's would be "server"); several go into the folder.
    '-o', group.packages.length === 1 ? join(bin, group.binaries[0]) : bin + '/',
    ...group.packages,
  ]);
  for (const [name, source] of Object.entries(group.files ?? {})) {
    copyFileSync(join(moduleInfo(dir, group.module, group.version).Dir, source), join(cache, name));
  }
  stamp[group.name] = group.version;
  writeFileSync(stampFile, JSON.stringify(stamp, null, 2) + '\n');
  say(`built ${group.binaries.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`);
}
say(`ready in ${bin}`);

/** Runs go in a wrapper module; its output is shown when it fails, which ends the build. */
function goIn(dir, args) {
  const res = spawnSync('go', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // GOTOOLCHAIN=local: a module asking for a newer Go fails here rather than downloading one.
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  });
  if (res.error) fail(`go ${args[0]} in ${dir} failed: ${res.error.message}`);
  if (res.status !== 0) fail(`go ${args.join(' ')} in ${dir} failed with exit code ${res.status}:\n${res.stderr}${res.stdout}`);
}

/** `go mod download -json module@version`: where the module cache holds its go.mod (GoMod) and source (Dir). */
function moduleInfo(cwd, module, version) {
  const res = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  if (res.status !== 0) fail(`go mod download ${module}@${version} failed:\n${res.stderr}${res.stdout}`);
  return JSON.parse(res.stdout);
}

/**
 * `go install k8s.io/kubernetes/...` is refused: kubernetes requires its staging modules at
 * v0.0.0 and replaces them with ./staging directories. The wrapper replaces each with the
 * published release instead, reading the list from kubernetes' own go.mod so it stays complete.
 */
function kubernetesGoMod() {
  const upstream = readFileSync(moduleInfo(cache, 'k8s.io/kubernetes', KUBERNETES).GoMod, 'utf8');
  const staging = [...upstream.matchAll(/^\s*(k8s\.io\/[\w.-]+) => \.\/staging\//gm)].map((m) => m[1]);
  if (staging.length === 0) fail(`found no staging replace directives in kubernetes ${KUBERNETES}'s go.mod`);
  // godebug lines only take effect in the main module; copied so the binaries behave as released.
  const godebug = upstream.match(/^godebug .*$/gm) ?? [];
  return [
    'module sluice.local/k8s/kubernetes',
    '',
    'go 1.24.0',
    '',
    ...godebug,
    '',
    `require k8s.io/kubernetes ${KUBERNETES}`,
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${STAGING}`),
    ')',
    '',
  ].join('\n');
}
