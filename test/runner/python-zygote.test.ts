/**
 * KFP lightweight steps started from warm interpreters (`PythonZygotes`), compared with the `sh`
 * path on the same real kfp-compiled components: outcomes, outputs, logs, kill, reattach after a
 * worker's death, the sandbox, and the fallback.
 */
import { chmodSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { collectOutputs } from '../../activities/collect-outputs';
import { taskLayout } from '../../activities/layout';
import { prepareLaunch, type LaunchPlan } from '../../activities/prepare-launch';
import { LocalProcessRunner } from '../../activities/runners/local-process-runner';
import { PythonEnvs } from '../../activities/runners/python-envs';
import type { LaunchHandle, LaunchStatus } from '../../activities/runners/runner';
import { PythonZygotes } from '../../activities/runners/zygotes';
import type { TaskActivityInput } from '../../activities/types';
import { loadConfig } from '../../config/config';
import { parsePipelineDocument } from '../../ir/parse';
import type { ArtifactRef, ParameterValue, PipelineSpec, TaskOutputs } from '../../ir/types';
import { buildStepEnv } from '../../worker/step-env';
import { ensureStepRuntime, type StepRuntime } from '../../worker/step-runtime';
import { confineSteps, resolveStepUser } from '../../worker/step-user';
import { compileKfpPipeline } from '../support/kfp-compile';

// Not under /tmp: a sandboxed step gets a /tmp of its own, and must still reach its launch and runtime.
const base = mkdtempSync('/var/tmp/sluice-zygote-');
chmodSync(base, 0o755);
const artifactRoot = join(base, 'artifacts');
const identity = resolveStepUser(undefined, '2000000000-2000065535');
let confine: Awaited<ReturnType<typeof confineSteps>> | undefined;
const asRoot = process.getuid?.() === 0;

let spec: PipelineSpec;
let runtime: StepRuntime;
let stepEnv: Record<string, string>;
let envs: PythonEnvs;
const warnings: string[] = [];
let zygotes: PythonZygotes;
let viaZygote: LocalProcessRunner;
let viaSh: LocalProcessRunner;

beforeAll(async () => {
  const file = compileKfpPipeline(join(__dirname, 'kfp-lightweight', 'steps.py'));
  spec = parsePipelineDocument(readFileSync(file, 'utf8')).spec;
  runtime = await ensureStepRuntime(loadConfig().venv, join(base, 'runtime'));
  stepEnv = buildStepEnv(runtime, process.env);
  envs = new PythonEnvs(runtime.dir, join(base, 'runtime', 'envs'), identity?.builder ?? {}, { ...stepEnv });
  // `base` too: the tests' own directories under it (markers, hold files) are the steps' to reach, past their own /var/tmp.
  confine = identity && (await confineSteps(identity, join(base, 'data'), 'isolated', [artifactRoot, join(base, 'runtime'), base]));
  zygotes = newZygotes();
  viaZygote = new LocalProcessRunner({ confine, zygotes });
  viaSh = new LocalProcessRunner({ confine });
}, 180_000);

afterAll(() => {
  zygotes?.close();
  rmSync(base, { recursive: true, force: true });
});

function newZygotes(python = join(runtime.dir, 'bin', 'python3')): PythonZygotes {
  return new PythonZygotes({ python, env: stepEnv, max: 4, warn: (message) => warnings.push(message) });
}

let runs = 0;

/** One launch of component `name` as run-task prepares it: placeholders resolved, requirements met by PythonEnvs. */
async function plan(name: string, parameters: Record<string, ParameterValue> = {}, artifacts: Record<string, ArtifactRef[]> = {}): Promise<{ input: TaskActivityInput; plan: LaunchPlan }> {
  const component = spec.components[`comp-${name}`];
  const runId = `run-${++runs}`;
  const input: TaskActivityInput = {
    runId,
    runName: runId,
    pipelineName: 'lightweight-steps',
    pipelineRoot: artifactRoot,
    createdAt: new Date().toISOString(),
    taskPath: `root/${name}`,
    displayName: name,
    componentName: `comp-${name}`,
    container: spec.deploymentSpec.executors[component.executorLabel as string].container as TaskActivityInput['container'],
    inputDefinitions: component.inputDefinitions,
    outputDefinitions: component.outputDefinitions,
    inputs: { parameters, artifacts },
    maxStepAttempts: 1,
    executorLabel: component.executorLabel,
  };
  const launch = prepareLaunch(input, { launch: 1, layout: taskLayout(artifactRoot, runId, input.taskPath), launchName: `${runId}-${name}-1`, baseEnv: stepEnv });
  for (const path of [...launch.outputPaths, launch.spec.logFile]) mkdirSync(dirname(path), { recursive: true });
  for (const dir of launch.spec.writableDirs) mkdirSync(dir, { recursive: true });
  const python = await envs.envFor(launch.spec.argv, launch.spec.logFile, launch.spec.env);
  launch.spec.env = python.env;
  launch.spec.requirementsInstalled = python.installed;
  return { input, plan: launch };
}

interface Ran {
  status: LaunchStatus;
  log: string;
  outputs?: TaskOutputs;
  handle: LaunchHandle;
}

async function run(runner: LocalProcessRunner, prepared: { input: TaskActivityInput; plan: LaunchPlan }): Promise<Ran> {
  const handle = await runner.start(prepared.plan.spec);
  const status = await runner.wait(handle, new AbortController().signal);
  await runner.seal(prepared.plan.spec);
  const outputs = status.status === 'exited' && status.exitCode === 0 ? await collectOutputs(prepared.input, prepared.plan) : undefined;
  return { status, log: readFileSync(prepared.plan.spec.logFile, 'utf8'), outputs, handle };
}

/** Outputs with the run's own directory taken out, so two runs compare. */
function portable(outputs: TaskOutputs | undefined, runId: string): unknown {
  return JSON.parse(JSON.stringify(outputs ?? null).split(join(artifactRoot, runId)).join('<run>'));
}

function statOf(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => !!statOf(pid) && !['Z', 'X'].includes(statOf(pid)?.[0] ?? 'X');
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('KFP lightweight steps from a warm interpreter', () => {
  test('a no-op step runs from the zygote, through kfp.dsl.executor_main, without pip', async () => {
    const prepared = await plan('noop');
    const ran = await run(viaZygote, prepared);
    expect(ran.status).toEqual({ status: 'exited', exitCode: 0 });
    expect(ran.log).toContain('Looking for component `noop` in --component_module_path');
    expect(ran.log).not.toMatch(/pip|Requirement already satisfied/);
    expect(warnings).toEqual([]);
  });

  test('typed parameters, a Dataset with metadata and NamedTuple outputs come out as through sh, and feed the next step', async () => {
    const results = [];
    for (const runner of [viaZygote, viaSh]) {
      const producer = await plan('typed', { n: 3, msg: 'ab' });
      const produced = await run(runner, producer);
      expect(produced.status).toEqual({ status: 'exited', exitCode: 0 });
      expect(produced.outputs?.parameters).toEqual({ total: 6, text: 'AB' });
      const [data] = produced.outputs?.artifacts.data ?? [];
      expect(data.metadata).toMatchObject({ rows: 3 });
      expect(readFileSync(data.uri, 'utf8')).toBe('ababab');
      const consumer = await plan('reads', {}, { data: [data] });
      const consumed = await run(runner, consumer);
      expect(consumed.outputs?.parameters).toEqual({ Output: 'ababab/3' });
      results.push(portable(produced.outputs, producer.input.runId));
    }
    expect(results[0]).toEqual(results[1]);
    expect(warnings).toEqual([]);
  });

  test('a step that raises exits 1 with its traceback in the log', async () => {
    const ran = await run(viaZygote, await plan('fails'));
    expect(ran.status).toEqual({ status: 'exited', exitCode: 1 });
    expect(ran.log).toMatch(/Traceback \(most recent call last\):[\s\S]*ValueError: boom from the step/);
    const sh = await run(viaSh, await plan('fails'));
    expect(sh.status).toEqual(ran.status);
  });

  test("a step that calls os._exit(3) exits 3, its output flushed before", async () => {
    const ran = await run(viaZygote, await plan('exits'));
    expect(ran.status).toEqual({ status: 'exited', exitCode: 3 });
    expect(ran.log).toContain('about to leave');
  });

  test('the step sees the same process, environment, arguments and directories as through sh', async () => {
    const probes = [];
    for (const runner of [viaZygote, viaSh]) {
      const prepared = await plan('probe');
      const ran = await run(runner, prepared);
      expect(ran.status).toEqual({ status: 'exited', exitCode: 0 });
      const text = String(ran.outputs?.parameters.Output).replace(/\/tmp\/tmp\.[A-Za-z0-9_]+/g, '/tmp/tmp.X').split(prepared.input.runId).join('<run>');
      probes.push(JSON.parse(text) as Record<string, unknown>);
    }
    // Each launch has a uid of its own: everything else is the same.
    const [zygote, sh] = probes.map(({ uid, ...rest }) => ({ ...rest, ownUid: identity ? Number(uid) > identity.gid : uid === process.getuid?.() }));
    expect(zygote).toEqual(sh);
    expect(zygote.ownUid).toBe(true);
    expect(zygote).toMatchObject({ main: '__main__', kfp_runtime: 'true', module_dir_is_private: '0o700', stdin: '/dev/null', stdout_tty: false });
    if (identity) expect(zygote).toMatchObject({ gid: identity.gid, groups: [] });
  });

  test('kill stops a running zygote step and its whole process group', async () => {
    const markers = mkdtempSync(join(base, 'markers-'));
    chmodSync(markers, 0o777); // the step user writes it
    const marker = join(markers, 'pid');
    const prepared = await plan('sleeps', { marker });
    const handle = await viaZygote.start(prepared.plan.spec);
    await until(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '');
    const step = Number(readFileSync(marker, 'utf8'));
    const supervisor = Number(handle.ref.pid);
    // The launch's supervisor is the child of the zygote's template (a copy of the zygote that
    // forks the spares), in a session of its own; the step is its child.
    const template = Number(statOf(supervisor)?.[1]);
    const zygote = Number(statOf(template)?.[1]);
    expect([template, zygote].map((pid) => cmdline(pid).some((arg) => arg.endsWith('zygote.py')))).toEqual([true, true]);
    expect(statOf(zygote)?.[1]).toBe(String(process.pid));
    expect(statOf(supervisor)?.[3]).toBe(String(supervisor));
    expect(statOf(step)?.[1]).toBe(String(supervisor));
    await viaZygote.kill(handle, 2000);
    await until(() => !alive(step) && !alive(supervisor));
  });

  test("a worker that dies mid-step (its zygote with it) leaves the launch for the next worker to find by its files", async () => {
    const first = newZygotes();
    const prepared = await plan('typed', { n: 2, msg: 'xy' });
    const handle = await new LocalProcessRunner({ confine, zygotes: first }).start(prepared.plan.spec);
    const template = Number(statOf(Number(handle.ref.pid))?.[1]);
    first.close(); // the worker's death: the zygote reads EOF and exits, its template with it; the step goes on
    await until(() => !alive(template));
    const next = new LocalProcessRunner({ confine, zygotes: newZygotes() });
    const again = await next.start(prepared.plan.spec);
    expect(again.ref.pid).toBe(handle.ref.pid);
    const status = await next.wait(again, new AbortController().signal);
    expect(status).toEqual({ status: 'exited', exitCode: 0 });
    await next.seal(prepared.plan.spec);
    expect((await collectOutputs(prepared.input, prepared.plan)).parameters).toEqual({ total: 4, text: 'XY' });
    expect(readFileSync(prepared.plan.spec.logFile, 'utf8').match(/Looking for component/g)).toHaveLength(1);
  });

  test("a supervisor a dead worker's zygote left before its claim races the next worker's for it: the step runs once", async () => {
    const hold = mkdtempSync(join(base, 'hold-'));
    chmodSync(hold, 0o777);
    const prepared = await plan('typed', { n: 1, msg: 'z' });
    const spec = prepared.plan.spec;
    const first = newZygotes();
    await new LocalProcessRunner({ confine, zygotes: first, testHoldDir: hold }).start(spec);
    await until(() => existsSync(join(hold, `${spec.name}.held`)));
    first.close();
    // Nothing recorded yet: the next worker starts a supervisor of its own, and both wait at the claim.
    const nextZygotes = newZygotes();
    const next = new LocalProcessRunner({ confine, zygotes: nextZygotes, testHoldDir: hold });
    const handle = await next.start(spec);
    writeFileSync(join(hold, `${spec.name}.go`), '');
    expect(await next.wait(handle, new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    nextZygotes.close();
    await next.seal(spec);
    expect((await collectOutputs(prepared.input, prepared.plan)).parameters).toEqual({ total: 2, text: 'Z' });
    expect(readFileSync(spec.logFile, 'utf8').match(/Looking for component/g)).toHaveLength(1);
  });

  (asRoot ? test : test.skip)('any command starts in its sandbox from the launcher zygote (no fallback), as through the tools', async () => {
    const before = warnings.length;
    const outputs = mkdtempSync(join(artifactRoot, 'any-'));
    const workDir = mkdtempSync(join(artifactRoot, 'any-launch-'));
    const spec = { name: `any-${process.pid}`, image: 'x', argv: ['sh', '-c', 'printf "%s %s %s" "$(id -u)" "$(ls -A /tmp | wc -l)" "$(umask)" > "$0/out"', outputs], env: stepEnv, workDir, logFile: join(workDir, 'log'), writableDirs: [outputs] };
    const handle = await viaZygote.start(spec);
    // The supervisor is the launcher zygote's (its template's) child: it runs the command itself, no `sh` between.
    expect(cmdline(Number(statOf(Number(handle.ref.pid))?.[1])).some((arg) => arg.endsWith('zygote.py'))).toBe(true);
    expect(await viaZygote.wait(handle, new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    const [uid, tmpEntries, umask] = readFileSync(join(outputs, 'out'), 'utf8').split(' ');
    expect(Number(uid)).toBeGreaterThan(identity?.gid ?? 0);
    expect(tmpEntries).toBe('0');
    expect(umask).toBe('0002');
    await viaZygote.seal(spec);
    expect(warnings.slice(before)).toEqual([]);
  });

  (asRoot ? test : test.skip)('a command from the launcher zygote gets what the `sh` supervisor\'s "$@" gave it: its exit codes and messages, `sh` for a file without #!, signals at their defaults', async () => {
    mkdirSync(artifactRoot, { recursive: true });
    const files = mkdtempSync(join(artifactRoot, 'commands-'));
    chmodSync(files, 0o755);
    writeFileSync(join(files, 'plain'), 'echo "from a file without #!: $1"\n', { mode: 0o755 });
    writeFileSync(join(files, 'not-executable'), 'echo never\n', { mode: 0o644 });
    const commands: string[][] = [
      ['no-such-program-anywhere', 'x'],
      [join(files, 'no-such-file')],
      [join(files, 'not-executable')],
      [files],
      [join(files, 'plain'), 'an argument'],
      // The ignored and the blocked signals (Python ignores SIGPIPE and SIGXFSZ, the zygote SIGINT).
      ['sh', '-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status; exit 3'],
    ];
    const ranBy = async (runner: LocalProcessRunner, argv: string[], i: number) => {
      const workDir = mkdtempSync(join(artifactRoot, 'command-launch-'));
      const spec = { name: `command-${i}-${process.pid}-${runs++}`, image: 'x', argv, env: stepEnv, workDir, logFile: join(workDir, 'log'), writableDirs: [] };
      const status = await runner.wait(await runner.start(spec), new AbortController().signal);
      await runner.seal(spec);
      return { status, log: readFileSync(spec.logFile, 'utf8') };
    };
    const before = warnings.length;
    const [missing, noFile, notExecutable, directory, plain, signals] = await Promise.all(commands.map((argv, i) => ranBy(viaZygote, argv, i)));
    expect(warnings.slice(before)).toEqual([]);
    // The exit codes are those of `sh`; its messages also carry the line of its script.
    const bySh = await Promise.all(commands.map((argv, i) => ranBy(viaSh, argv, i)));
    expect([missing, noFile, notExecutable, directory, plain, signals].map((ran) => ran.status)).toEqual(bySh.map((ran) => ran.status));
    expect(missing).toEqual({ status: { status: 'exited', exitCode: 127 }, log: 'sluice-step: no-such-program-anywhere: not found\n' });
    expect(noFile).toEqual({ status: { status: 'exited', exitCode: 127 }, log: `sluice-step: ${join(files, 'no-such-file')}: not found\n` });
    expect(notExecutable).toEqual({ status: { status: 'exited', exitCode: 126 }, log: `sluice-step: ${join(files, 'not-executable')}: Permission denied\n` });
    expect(directory.status).toEqual({ status: 'exited', exitCode: 126 });
    expect(plain).toEqual(bySh[4]);
    expect(signals.status).toEqual(bySh[5].status);
    expect(plain).toEqual({ status: { status: 'exited', exitCode: 0 }, log: 'from a file without #!: an argument\n' });
    // None of signals 1 to 31 is ignored or blocked. glibc's `posix_spawn` leaves its own two (32 and 33) ignored, and glibc sets them again in a program that uses them.
    const [, blocked, ignored] = /^SigBlk:\t([0-9a-f]{16})\nSigIgn:\t([0-9a-f]{16})\n$/.exec(signals.log) ?? [];
    expect([BigInt(`0x${blocked}`), BigInt(`0x${ignored}`) & 0x7fffffffn]).toEqual([0n, 0n]);
  });

  test('a zygote that cannot start falls back to sh, saying why: the step still runs', async () => {
    const broken = new PythonZygotes({ python: join(base, 'no-such-python'), env: stepEnv, max: 1, warn: (message) => warnings.push(message) });
    const before = warnings.length;
    const ran = await run(new LocalProcessRunner({ confine, zygotes: broken }), await plan('typed', { n: 1, msg: 'q' }));
    expect(ran.status).toEqual({ status: 'exited', exitCode: 0 });
    expect(ran.outputs?.parameters).toEqual({ total: 2, text: 'Q' });
    expect(warnings.slice(before).join('\n')).toMatch(/could not start it .*starting it with sh/);
    warnings.splice(before);
  });
});

(asRoot ? describe : describe.skip)('the sandbox of a zygote step (root only)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server?.close());

  async function sandboxed(isolateNetwork: boolean): Promise<Record<string, ParameterValue>> {
    const prepared = await plan('sandboxed', { port });
    const box = mkdtempSync(join(base, 'box-'));
    chmodSync(box, 0o755);
    const tmpDir = join(box, 'tmp');
    const varTmpDir = join(box, 'var-tmp');
    for (const dir of [tmpDir, varTmpDir]) {
      mkdirSync(dir, { mode: 0o1777 });
      chmodSync(dir, 0o1777);
    }
    writeFileSync(join(tmpDir, 'only-in-this-sandbox'), '');
    const accounts = { passwd: 'root:x:0:0::/root:/bin/sh\nstep:x:4242:4242::/nonexistent:/usr/sbin/nologin\n', group: 'root:x:0:\nstep:x:4242:\n' };
    const accountsMount = join(box, 'accounts-mount');
    mkdirSync(accountsMount);
    const spec = prepared.plan.spec;
    const runner = new LocalProcessRunner();
    // The launch's directories belong to the sandbox's user, as the runner makes them its step user's.
    for (const dir of [spec.workDir, ...spec.writableDirs]) lchownSync(dir, 4242, 4242);
    const { pid } = await zygotes.start(spec.requirementsInstalled?.lib, {
      launch: spec.name,
      module: 'kfp.dsl.executor_main',
      source: spec.argv[6],
      executorArgs: spec.argv.slice(7),
      cwd: spec.workDir,
      env: { ...spec.env, HOME: spec.workDir, _KFP_RUNTIME: 'true' },
      logFile: spec.logFile,
      stateFile: join(spec.workDir, 'launch.json'),
      exitFile: join(spec.workDir, 'exit_code'),
      sandbox: { uid: 4242, gid: 4242, isolateNetwork, tmpDir, privateTmp: { stash: '/mnt', mounts: [{ target: '/tmp', source: tmpDir, keep: [] }, { target: '/var/tmp', source: varTmpDir, keep: [base] }] }, privateShm: true, ownUid: false, accounts, accountsMount },
    });
    const status = await runner.wait({ name: spec.name, ref: { pid, startTicks: 0, workDir: spec.workDir } }, new AbortController().signal);
    // The log rides along so that a failure shows why.
    expect({ status, log: readFileSync(spec.logFile, 'utf8') }).toEqual({ status: { status: 'exited', exitCode: 0 }, log: expect.any(String) as unknown });
    // The accounts came from a tmpfs of the launch's own mount namespace: the host's directory stays empty.
    expect(readdirSync(accountsMount)).toEqual([]);
    return (await collectOutputs(prepared.input, prepared.plan)).parameters;
  }

  test("the step runs as the sandbox's user with its own /tmp and /etc/passwd, and no route to the host's loopback", async () => {
    const isolated = await sandboxed(true);
    expect(isolated).toMatchObject({ uid: 4242, reached: false });
    // Its /tmp holds what the sandbox put there, and the private directory its source was written to.
    expect(String(isolated.tmp).split(',')).toEqual(['only-in-this-sandbox', expect.stringMatching(/^tmp\./)]);
    expect(isolated.passwd).toContain('step:x:4242:4242');
    // Its /var/tmp is its own too: what it wrote there stayed in the sandbox's directory, beside the kept test directory.
    expect(String(isolated.var_tmp).split(',')).toEqual(['left-by-the-step', basename(base)]);
    // The host's /tmp and /var/tmp are untouched, and without network isolation the same step reaches the port.
    expect(readdirSync('/tmp')).not.toContain('only-in-this-sandbox');
    expect(existsSync('/var/tmp/left-by-the-step')).toBe(false);
    // So is its /dev/shm: what it shared there ended with it.
    expect(isolated.shm).toBe('left-by-the-step');
    expect(existsSync('/dev/shm/left-by-the-step')).toBe(false);
    expect(await sandboxed(false)).toMatchObject({ uid: 4242, reached: true });
  });

  test("a uid's next launch enters the namespaces its launch before left as it got them, never what a step left there", async () => {
    // What each launch sees: its uid, its namespaces, its /dev/shm and /tmp, the TCP sockets of its network.
    const probe = [
      'id -u > "$0/uid"; readlink /proc/self/ns/net > "$0/net"; readlink /proc/self/ns/mnt > "$0/mnt"',
      'ls -A /dev/shm > "$0/shm"; ls -A /tmp > "$0/tmp"; tail -n +2 /proc/net/tcp > "$0/tcp"',
    ].join('\n');
    // The client closes first, so its end of the connection waits in TIME_WAIT for a minute after the step.
    const timeWait = `python3 -c 'import socket; s = socket.create_server(("127.0.0.1", 0)); c = socket.create_connection(s.getsockname()); a = s.accept()[0]; c.close(); a.recv(1); a.close()'`;
    let n = 0;
    const launch = async (leave: string) => {
      const workDir = mkdtempSync(join(base, 'ns-launch-'));
      const outputs = mkdtempSync(join(base, 'ns-out-'));
      const launchSpec = { name: `ns-${process.pid}-${++n}`, image: 'busybox', argv: ['sh', '-c', `${probe}\n${leave}`, outputs], env: stepEnv, workDir, logFile: join(workDir, 'log.txt'), writableDirs: [outputs] };
      const status = await viaZygote.wait(await viaZygote.start(launchSpec), new AbortController().signal);
      expect({ status, log: readFileSync(launchSpec.logFile, 'utf8') }).toEqual({ status: { status: 'exited', exitCode: 0 }, log: '' });
      await viaZygote.seal(launchSpec);
      const seen = (file: string) => readFileSync(join(outputs, file), 'utf8').trim();
      return { uid: seen('uid'), net: seen('net'), mnt: seen('mnt'), shm: seen('shm'), tmp: seen('tmp'), tcp: seen('tcp') };
    };
    const clean = { shm: '', tmp: '', tcp: '' };
    const first = await launch('');
    expect(first).toMatchObject(clean);
    // Left as it got them: the same uid's next launch runs in the same namespaces, then leaves a file in /dev/shm and a TIME_WAIT.
    const second = await launch(`echo left > /dev/shm/left\n${timeWait}`);
    expect(second).toEqual({ ...first });
    // Neither is the next launch's: it gets a network and a mount namespace of its own, then writes to its /tmp.
    const third = await launch('echo left > /tmp/left');
    expect(third).toMatchObject({ uid: first.uid, ...clean });
    expect(third.net).not.toBe(first.net);
    expect(third.mnt).not.toBe(first.mnt);
    // Its network is handed on; its mounts are not, since its /tmp was moved aside and made anew.
    const fourth = await launch('');
    expect(fourth).toMatchObject({ uid: first.uid, net: third.net, ...clean });
    expect(fourth.mnt).not.toBe(third.mnt);
    // Every one started from the launcher zygote, none with `sh` after a warning.
    expect(warnings.filter((message) => message.includes(`ns-${process.pid}-`))).toEqual([]);
  });
});

describe('which launches a zygote serves', () => {
  const base = { PATH: '/runtime/bin:/usr/bin', LANG: 'C.UTF-8', PYTHONUNBUFFERED: '1', HOME: '/root' };
  const pool = new PythonZygotes({ python: '/runtime/bin/python3', env: base, max: 1, warn: () => undefined });
  const lib = '/runtime/envs/abc/lib';

  test('a launch whose interpreter variables are the zygote\'s, whatever else it sets', () => {
    expect(pool.serves({ ...base, HOME: '/launch', SLUICE_LAUNCH: 'x', MY_SETTING: '1' }, undefined)).toBe(true);
    expect(pool.serves({ ...base, PYTHONPATH: lib, PATH: `${lib}/bin:${base.PATH}` }, lib)).toBe(true);
  });

  test("never a PYTHONPATH, loader or locale setting of the step's own: those run with sh", () => {
    expect(pool.serves({ ...base, PYTHONPATH: '/tmp/planted' }, undefined)).toBe(false);
    expect(pool.serves({ ...base, PYTHONPATH: `${lib}:/tmp/planted` }, lib)).toBe(false);
    expect(pool.serves({ ...base }, lib)).toBe(false);
    expect(pool.serves({ ...base, LD_PRELOAD: '/tmp/x.so' }, undefined)).toBe(false);
    expect(pool.serves({ ...base, PYTHONHASHSEED: '0' }, undefined)).toBe(false);
    expect(pool.serves({ ...base, LC_ALL: 'de_DE.UTF-8' }, undefined)).toBe(false);
    expect(pool.serves({ ...base, PYTHONUNBUFFERED: '' }, undefined)).toBe(false);
  });
});
