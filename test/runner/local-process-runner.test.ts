import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LocalProcessRunner } from '../../activities/runners/local-process-runner';
import type { LaunchSpec } from '../../activities/runners/runner';
import { StepSandboxes, type StepSandbox, type StepUsers } from '../../activities/runners/step-sandbox';
import { confineSteps, resolveStepUser, STASHES, type StepIdentity } from '../../worker/step-user';

/** The compiled runner, for a worker process of its own (jest's transform is not there). */
const RUNNER_JS = join(__dirname, '..', '..', 'dist', 'activities', 'runners', 'local-process-runner.js');

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function launch(name: string, argv: string[]): LaunchSpec {
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-runner-'));
  return { name, image: 'python:3.11', argv, env, workDir, logFile: join(workDir, 'log.txt'), writableDirs: [] };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('LocalProcessRunner', () => {
  test('runs argv without a shell, captures stdout and stderr, reports the exit code', async () => {
    const runner = new LocalProcessRunner();
    // A shell metacharacter in an argument must arrive verbatim.
    const spec = launch('echo-1', ['python3', '-c', 'import sys; print("out", sys.argv[1]); print("err", file=sys.stderr); sys.exit(3)', '$(rm -rf /); `x`']);
    const handle = await runner.start(spec);
    const status = await runner.wait(handle, new AbortController().signal);
    expect(status).toEqual({ status: 'exited', exitCode: 3 });
    const log = readFileSync(spec.logFile, 'utf8');
    expect(log).toContain('out $(rm -rf /); `x`');
    expect(log).toContain('err');
  });

  test('a missing program fails with exit code 127 and says so in the log', async () => {
    const runner = new LocalProcessRunner();
    const spec = launch('missing-1', ['no-such-program-sluice']);
    const status = await runner.wait(await runner.start(spec), new AbortController().signal);
    expect(status).toEqual({ status: 'exited', exitCode: 127 });
    expect(readFileSync(spec.logFile, 'utf8')).toMatch(/not found/);
  });

  test('a second start with the same name reattaches instead of launching again', async () => {
    const spec = launch('once-1', ['sh', '-c', 'echo run >> count; sleep 1']);
    const first = await new LocalProcessRunner().start(spec);
    // A different runner instance stands for a new worker after a crash.
    const other = new LocalProcessRunner();
    const again = await other.start(spec);
    expect(again.ref.pid).toBe(first.ref.pid);
    const status = await other.wait(again, new AbortController().signal);
    expect(status).toEqual({ status: 'exited', exitCode: 0 });
    expect(readFileSync(join(spec.workDir, 'count'), 'utf8')).toBe('run\n');
  });

  test('a worker killed right after spawning a step leaves enough behind that the step never runs twice', async () => {
    const spec = launch('crash-window-1', ['sh', '-c', 'echo run >> count']);
    // A worker process of its own starts the launch and is SIGKILLed at the worst point: the
    // moment it would record the launch itself, or else as soon as \`start\` returns.
    const worker = `
      const fs = require('node:fs');
      const fsp = require('node:fs/promises');
      const die = () => process.kill(process.pid, 'SIGKILL');
      for (const [mod, fn] of [[fs, 'writeFileSync'], [fsp, 'writeFile']]) {
        const write = mod[fn];
        mod[fn] = function (file, ...rest) { if (String(file).endsWith('launch.json')) die(); return write.call(this, file, ...rest); };
      }
      const { LocalProcessRunner } = require(${JSON.stringify(RUNNER_JS)});
      new LocalProcessRunner().start(JSON.parse(process.argv[1])).then(die);
    `;
    const crashed = spawnSync(process.execPath, ['-e', worker, JSON.stringify(spec)]);
    expect(crashed.signal).toBe('SIGKILL');
    // The orphaned step finishes on its own.
    await until(() => existsSync(join(spec.workDir, 'exit_code')));

    const next = new LocalProcessRunner();
    const status = await next.wait(await next.start(spec), new AbortController().signal);
    expect(status).toEqual({ status: 'exited', exitCode: 0 });
    expect(readFileSync(join(spec.workDir, 'count'), 'utf8')).toBe('run\n');
  });

  test('two starts racing past each other (both spawn a supervisor) still run the step once', async () => {
    const spec = launch('race-1', ['sh', '-c', 'echo run >> count; sleep 0.5']);
    // Two runner instances stand for two attempts of one task (a lost attempt still starting on a busy worker).
    const [a, b] = [new LocalProcessRunner(), new LocalProcessRunner()];
    const handles = await Promise.all([a.start(spec), b.start(spec)]);
    const statuses = await Promise.all([a.wait(handles[0], new AbortController().signal), b.wait(handles[1], new AbortController().signal)]);
    expect(statuses).toEqual([{ status: 'exited', exitCode: 0 }, { status: 'exited', exitCode: 0 }]);
    expect(readFileSync(join(spec.workDir, 'count'), 'utf8')).toBe('run\n');
  });

  test('starts of one launch in one worker (an inline attempt handed over, an evicted attempt run again) share one supervisor', async () => {
    const spec = launch('shared-1', ['sh', '-c', 'echo run >> count; sleep 0.3']);
    const runner = new LocalProcessRunner();
    const handles = await Promise.all([runner.start(spec), runner.start(spec)]);
    expect(handles[1].ref.pid).toBe(handles[0].ref.pid);
    // While it runs, a later start gets it too.
    expect((await runner.start(spec)).ref.pid).toBe(handles[0].ref.pid);
    expect(await runner.wait(handles[1], new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    // Once it has ended, its exit code answers: nothing is spawned again.
    expect(await runner.wait(await runner.start(spec), new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    expect(readFileSync(join(spec.workDir, 'count'), 'utf8')).toBe('run\n');
  });

  test('a start marked by another live worker is awaited until its supervisor is recorded, and taken over once that worker is gone', async () => {
    const ticks = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
    const pending = async (p: Promise<unknown>) => Promise.race([p.then(() => false), new Promise((r) => setTimeout(() => r(true), 400))]);
    // A sleeping process stands for the other worker, mid-start: its mark is written, nothing recorded yet.
    const other = spawn('sleep', ['30']);
    const recorded = launch('marked-1', ['sh', '-c', 'echo run >> count']);
    writeFileSync(join(recorded.workDir, 'launch.starting'), `${other.pid} ${ticks(other.pid!)}`);
    const runner = new LocalProcessRunner();
    const adopted = runner.start(recorded);
    expect(await pending(adopted)).toBe(true);
    // Its supervisor claims the launch (the sleeper stands for it too): the start adopts it.
    writeFileSync(join(recorded.workDir, 'launch.json'), JSON.stringify({ pid: other.pid, startTicks: Number(ticks(other.pid!)) }));
    expect((await adopted).ref.pid).toBe(other.pid);
    expect(existsSync(join(recorded.workDir, 'count'))).toBe(false);

    const orphaned = launch('marked-2', ['sh', '-c', 'echo run >> count']);
    writeFileSync(join(orphaned.workDir, 'launch.starting'), `${other.pid} ${ticks(other.pid!)}`);
    const taken = runner.start(orphaned);
    expect(await pending(taken)).toBe(true);
    // The other worker dies before it spawned anything: this start runs the step.
    other.kill('SIGKILL');
    expect(await runner.wait(await taken, new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    expect(readFileSync(join(orphaned.workDir, 'count'), 'utf8')).toBe('run\n');
  });

  test('a supervisor held between spawn and claim is adopted by the next start, and a late one loses the claim', async () => {
    const holdDir = mkdtempSync(join(tmpdir(), 'sluice-hold-'));
    const spec = launch('held-1', ['sh', '-c', 'echo run >> count']);
    // The held supervisor stands for one whose worker died right after spawning it.
    const held = new LocalProcessRunner({ testHoldDir: holdDir });
    const first = await held.start(spec);
    await until(() => existsSync(join(holdDir, 'held-1.held')));
    expect(existsSync(join(spec.workDir, 'launch.json'))).toBe(false);
    const next = new LocalProcessRunner();
    const adopted = await next.start(spec);
    expect(adopted.ref.pid).toBe(first.ref.pid);
    writeFileSync(join(holdDir, 'held-1.go'), '');
    expect(await next.wait(adopted, new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });

    // A supervisor that reaches its claim after another ran the step exits without running it.
    const late = launch('held-2', ['sh', '-c', 'echo run >> count']);
    const slow = await held.start(late);
    await until(() => existsSync(join(holdDir, 'held-2.held')));
    rmSync(join(late.workDir, 'launch.starting')); // hides it from the next start, as a racing attempt would not see it
    const winner = new LocalProcessRunner();
    expect(await winner.wait(await winner.start(late), new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    writeFileSync(join(holdDir, 'held-2.go'), '');
    await until(() => !alive(Number(slow.ref.pid)));
    expect(await held.wait(slow, new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    expect(readFileSync(join(spec.workDir, 'count'), 'utf8')).toBe('run\n');
    expect(readFileSync(join(late.workDir, 'count'), 'utf8')).toBe('run\n');
  });

  test('an exit code alone is the outcome of a launch, even without the launch record', async () => {
    const spec = launch('exit-only-1', ['sh', '-c', 'echo run >> count']);
    const runner = new LocalProcessRunner();
    expect(await runner.wait(await runner.start(spec), new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    rmSync(join(spec.workDir, 'launch.json'));
    const next = new LocalProcessRunner();
    expect(await next.wait(await next.start(spec), new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    expect(readFileSync(join(spec.workDir, 'count'), 'utf8')).toBe('run\n');
  });

  test('kill stops the whole process tree, including children in other process groups', async () => {
    const runner = new LocalProcessRunner();
    const spec = launch('tree-1', ['sh', '-c', 'sleep 300 & echo $! > child.pid; setsid sleep 300 & echo $! > orphan.pid; wait']);
    const handle = await runner.start(spec);
    // Written by `echo`: complete once the newline is there.
    const written = (file: string) => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n');
    await until(() => written(join(spec.workDir, 'child.pid')) && written(join(spec.workDir, 'orphan.pid')));
    const child = Number(readFileSync(join(spec.workDir, 'child.pid'), 'utf8'));
    const orphan = Number(readFileSync(join(spec.workDir, 'orphan.pid'), 'utf8'));
    expect(alive(child) && alive(orphan)).toBe(true);
    await runner.kill(handle, 2000);
    await until(() => !alive(child) && !alive(orphan) && !alive(Number(handle.ref.pid)));
    const status = await runner.wait(handle, new AbortController().signal);
    expect(status.status).toBe('lost');
  });

  const asRoot = process.getuid?.() === 0;
  /** A root worker's sandboxes for a data dir under a new directory in /var/tmp (outside /tmp, which the steps' own covers). */
  const sandboxesUnderVarTmp = async () => {
    const identity = resolveStepUser(undefined, '2000000000-2000065535') as StepIdentity;
    const base = mkdtempSync('/var/tmp/sluice-sandbox-');
    const { sandboxes } = await confineSteps(identity, join(base, 'data'), 'isolated', [base]);
    // The launches' directories, which the runner makes before it claims a uid.
    for (const name of ['launch', 'launch-1', 'launch-2', 'launch-3']) mkdirSync(join(base, name));
    return { identity, base, sandboxes };
  };
  // Where the host's /tmp waits while a sandbox is made: the first of these that holds no Sluice directory.
  const stash = STASHES.find((dir) => existsSync(dir));
  (asRoot && stash ? test : test.skip)('a data dir under the first directory the host\'s /tmp could wait at (a disk at /mnt/data) gets sandboxes', async () => {
    const identity = resolveStepUser(undefined, '2000000000-2000065535') as StepIdentity;
    const base = mkdtempSync(join(stash as string, 'sluice-sandbox-'));
    try {
      // The probe makes a sandbox with the tools and runs `id -u` in it as the launch's uid.
      const { sandboxes } = await confineSteps(identity, join(base, 'data'), 'isolated', [base]);
      expect(sandboxes.policy.privateTmp?.stash).not.toBe(stash);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  (asRoot ? test : test.skip)('a root worker confines each launch: a uid of its own, its own /tmp, /var/tmp and /dev/shm, no network, nothing left running after it', async () => {
    const identity = resolveStepUser(undefined, '2000000000-2000065535') as StepIdentity;
    // Outside /tmp, so that the steps' /tmp can be their own (it would cover Sluice's files otherwise).
    const base = mkdtempSync('/var/tmp/sluice-sandbox-');
    chmodSync(base, 0o711);
    // `base` holds the launches' directories here (under the data dir in a worker): the steps must reach it past their own /var/tmp.
    const confine = await confineSteps(identity, join(base, 'data'), 'isolated', [base]);
    const runner = new LocalProcessRunner({ confine });
    const server = createServer((socket) => socket.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    // Each step: its uid and name, what its /tmp and /var/tmp hold, whether it reaches the test's port, then a daemon left behind.
    const script = [
      'id -u > "$0/uid"; id -un > "$0/name"; echo "$HOME" > "$0/home"',
      'ls -A /tmp > "$0/tmp-before"; echo mine > /tmp/scratch',
      'ls -A /var/tmp > "$0/var-tmp-before"; echo mine > /var/tmp/scratch-$$',
      'ls -A /dev/shm > "$0/shm-before"; echo mine > /dev/shm/scratch-$$',
      `python3 -c 'import socket; socket.create_connection(("127.0.0.1", ${port}), timeout=2)' 2> /dev/null && echo reached > "$0/net" || echo unreachable > "$0/net"`,
      'touch /root/forbidden 2>/dev/null || echo denied > "$0/root"',
      'setsid sleep 300 < /dev/null > /dev/null 2>&1 & echo $! > "$0/daemon"',
    ].join('\n');
    const confined = (name: string, argv: (outputs: string) => string[]): LaunchSpec => {
      const workDir = mkdtempSync(join(base, 'launch-'));
      const outputs = mkdtempSync(join(base, 'out-'));
      return { name, image: 'python:3.11', argv: argv(outputs), env, workDir, logFile: join(workDir, 'log.txt'), writableDirs: [outputs] };
    };
    const specs = ['a', 'b'].map((n) => confined(`confined-${n}-${process.pid}`, (outputs) => ['sh', '-c', script, outputs]));
    const handles = await Promise.all(specs.map((spec) => runner.start(spec)));
    for (const handle of handles) expect(await runner.wait(handle, new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    server.close();
    const read = (spec: LaunchSpec, file: string) => readFileSync(join(spec.writableDirs[0], file), 'utf8').trim();
    const uids = specs.map((spec) => Number(read(spec, 'uid')));
    expect(uids[0]).not.toBe(uids[1]);
    for (const [i, spec] of specs.entries()) {
      expect(uids[i]).toBeGreaterThan(2000000000);
      expect(read(spec, 'name')).toBe('sluice-step');
      expect(read(spec, 'home')).toBe(spec.workDir);
      expect(read(spec, 'tmp-before')).toBe('');
      // Only Sluice's own directory under the host's /var/tmp (this test's) is there, bound back.
      expect(read(spec, 'var-tmp-before')).toBe(basename(base));
      expect(read(spec, 'shm-before')).toBe('');
      expect(read(spec, 'net')).toBe('unreachable');
      expect(read(spec, 'root')).toBe('denied');
      // What the step left running ended with it: its supervisor ends everything of its uid.
      await until(() => !alive(Number(read(spec, 'daemon'))));
    }
    expect(existsSync('/root/forbidden')).toBe(false);
    expect(existsSync('/tmp/scratch')).toBe(false);
    expect(readdirSync('/var/tmp').filter((name) => name.startsWith('scratch-'))).toEqual([]);
    expect(readdirSync('/dev/shm').filter((name) => name.startsWith('scratch-'))).toEqual([]);
    for (const spec of specs) await runner.seal(spec);
    // Sealed: root's and read-only, the uid free for the next.
    for (const spec of specs) expect(statSync(spec.writableDirs[0]).uid).toBe(0);
    // Given back: each launch's /tmp and /var/tmp, written to, moved aside, then removed in the background.
    const sandboxRoot = confine.sandboxes.policy.root;
    for (const uid of uids) expect(readdirSync(join(sandboxRoot, 'uid-tmp', String(uid)))).toEqual([]);
    await until(() => readdirSync(join(sandboxRoot, 'trash')).length === 0);
    // What a killed worker left there goes at the next worker's first launch (its sandbox probe).
    mkdirSync(join(sandboxRoot, 'trash', 'left-by-a-killed-worker', 'tmp'), { recursive: true });
    await confineSteps(identity, join(base, 'data'), 'isolated', [base]);
    await until(() => readdirSync(join(sandboxRoot, 'trash')).length === 0);
    // A fresh launch takes the uid released last: its /tmp and its namespaces wait for it.
    const fresh = confined(`confined-c-${process.pid}`, (outputs) => ['sh', '-c', 'id -u > "$0/uid"', outputs]);
    expect(await runner.wait(await runner.start(fresh), new AbortController().signal)).toEqual({ status: 'exited', exitCode: 0 });
    expect(Number(readFileSync(join(fresh.writableDirs[0], 'uid'), 'utf8'))).toBe(uids[1]);
    rmSync(base, { recursive: true, force: true });
  });

  (asRoot ? test : test.skip)("a retried start keeps its launch's sandbox directories: the supervisor started before it may still win the claim in them", async () => {
    const { base, sandboxes } = await sandboxesUnderVarTmp();
    const first = await sandboxes.acquire('retried-1', join(base, 'launch'));
    writeFileSync(join(first.tmpDir, 'in-use'), '');
    const again = await sandboxes.acquire('retried-1', join(base, 'launch'));
    expect(again).toEqual(first);
    expect(existsSync(join(first.tmpDir, 'in-use'))).toBe(true);
    expect(first.privateTmp?.mounts.map((m) => [m.target, existsSync(m.source)])).toEqual([['/tmp', true], ['/var/tmp', true]]);
    await sandboxes.release('retried-1', again.uid);
    rmSync(base, { recursive: true, force: true });
  });

  (asRoot ? test : test.skip)("a uid's /tmp and /var/tmp go on to its next launch only as its launch got them", async () => {
    const { base, sandboxes } = await sandboxesUnderVarTmp();
    const sources = (box: StepSandbox) => box.privateTmp!.mounts.map((m) => m.source);
    const inodes = (box: StepSandbox) => sources(box).map((dir) => (existsSync(dir) ? statSync(dir).ino : undefined));
    const first = await sandboxes.acquire('reused-1', join(base, 'launch'));
    for (const dir of sources(first)) expect(statSync(dir)).toMatchObject({ uid: 0, mode: 0o41777 });
    const made = inodes(first);
    // Left as it was (the skeleton a supervisor makes to bind Sluice's directory under /var/tmp
    // back is root's own; the sandbox probe's launch may have made it already): handed on.
    mkdirSync(join(sources(first)[1], basename(base)), { recursive: true, mode: 0o755 });
    await sandboxes.release('reused-1', first.uid);
    const second = await sandboxes.acquire('reused-2', join(base, 'launch-2'));
    expect(second.uid).toBe(first.uid);
    expect(inodes(second)).toEqual(made);
    // Written to: moved aside at the release, a new one for the next launch.
    writeFileSync(join(sources(second)[0], 'scratch'), '');
    await sandboxes.release('reused-2', second.uid);
    expect(inodes(second)).toEqual([undefined, made[1]]);
    // A directory of the step's own where the skeleton would be, left by a launch whose claim
    // went without a release (removed by hand after its worker was killed): the next fresh
    // claim of the uid discards it, here another worker's, whose launch name starts its search there.
    const third = await sandboxes.acquire('reused-3', join(base, 'launch-3'));
    expect(third.uid).toBe(first.uid);
    expect(readdirSync(sources(third)[0])).toEqual([]);
    rmSync(join(sources(third)[1], basename(base)), { recursive: true });
    mkdirSync(join(sources(third)[1], basename(base)), { mode: 0o755 });
    chownSync(join(sources(third)[1], basename(base)), third.uid, third.gid);
    const left = inodes(third);
    rmSync(join(sandboxes.policy.root, 'uids', String(third.uid)));
    mkdirSync(join(base, 'launch-4'));
    const users = sandboxes.policy.users as Extract<StepUsers, { kind: 'per-launch' }>;
    const slot = (name: string) => createHash('sha256').update(name).digest().readUInt32BE(0) % users.count;
    let name = 'reused-4';
    for (let i = 0; slot(name) !== third.uid - users.first; i++) name = `reused-4-${i}`;
    const fourth = await new StepSandboxes(sandboxes.policy).acquire(name, join(base, 'launch-4'));
    expect(fourth.uid).toBe(third.uid);
    expect(inodes(fourth)[0]).toBe(left[0]);
    expect(inodes(fourth)[1]).not.toBe(left[1]);
    expect(readdirSync(sources(fourth)[1])).toEqual([]);
    await sandboxes.release(name, fourth.uid);
    rmSync(base, { recursive: true, force: true });
  });

  (asRoot ? test : test.skip)("a released uid's claim file is a later claim's: a launch frees no file of its claim", async () => {
    const { identity, base, sandboxes } = await sandboxesUnderVarTmp();
    const root = sandboxes.policy.root;
    const claimOf = (box: StepSandbox) => join(root, 'uids', String(box.uid));
    const first = await sandboxes.acquire('claimed-1', join(base, 'launch-1'));
    const file = statSync(claimOf(first)).ino;
    expect(readFileSync(claimOf(first), 'utf8')).toBe('claimed-1');
    await sandboxes.release('claimed-1', first.uid);
    expect(existsSync(claimOf(first))).toBe(false);
    expect(statSync(join(root, 'uid-spares', String(first.uid))).ino).toBe(file);
    const second = await sandboxes.acquire('short-2', join(base, 'launch-2'));
    expect(statSync(claimOf(second)).ino).toBe(file);
    expect(readFileSync(claimOf(second), 'utf8')).toBe('short-2');
    // Another worker on the data dir cannot take a spare this one took; a retried start finds its own claim.
    const other = (await confineSteps(identity, join(base, 'data'), 'isolated', [base])).sandboxes;
    const third = await other.acquire('claimed-3', join(base, 'launch-3'));
    expect(third.uid).not.toBe(second.uid);
    expect(await other.acquire('short-2', join(base, 'launch-2'))).toMatchObject({ uid: second.uid });
    expect(readdirSync(join(root, 'uid-spares'))).toEqual([]);
    expect(readdirSync(join(root, 'uid-taking'))).toEqual([]);
    await sandboxes.release('short-2', second.uid);
    await other.release('claimed-3', third.uid);
    rmSync(base, { recursive: true, force: true });
  });

  test('attach finds a running launch, and never starts one', async () => {
    const spec = launch('attach-1', ['sh', '-c', 'echo run >> count; sleep 5']);
    const runner = new LocalProcessRunner();
    expect(await runner.attach(spec)).toBeUndefined();
    expect(existsSync(join(spec.workDir, 'count'))).toBe(false);
    const started = await runner.start(spec);
    // Another runner stands for the next attempt, which only stops what runs.
    const attached = await new LocalProcessRunner().attach(spec);
    expect(attached?.ref.pid).toBe(started.ref.pid);
    await runner.kill(attached!, 1000);
    expect(alive(Number(started.ref.pid))).toBe(false);
    expect(await runner.attach(spec)).toBeUndefined();
    expect(readFileSync(join(spec.workDir, 'count'), 'utf8')).toBe('run\n');
  });

  test('wait returns "running" when aborted, leaving the launch alone', async () => {
    const runner = new LocalProcessRunner();
    const handle = await runner.start(launch('abort-1', ['sleep', '5']));
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    expect(await runner.wait(handle, ctrl.signal)).toEqual({ status: 'running' });
    expect(alive(Number(handle.ref.pid))).toBe(true);
    await runner.kill(handle, 1000);
  });
});
