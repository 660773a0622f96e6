import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestEngine, taskByName, type TestEngine } from '../support/engine';
import { stepWritableDir } from '../support/temp-dirs';

/**
 * Each escalation the hardening issue found, tried again by real steps (each confined by the
 * root worker: a uid of its own, no network) through the API, the workflow and the local runner: each must now fail to escalate.
 */
const asRoot = process.getuid?.() === 0;
const describeAsRoot = asRoot ? describe : describe.skip;
if (!asRoot) console.warn('step isolation: skipped, the worker must run as root to run steps as another user');

const specDir = mkdtempSync(join(tmpdir(), 'sluice-isolation-specs-'));

/** A one-task pipeline whose step runs `sh -c script args…` ($0 is the first arg); outputs are declared by name. */
function oneStep(name: string, script: string, args: string[], outputs: { parameters?: string[]; artifacts?: string[] } = {}): string {
  const spec = {
    pipelineInfo: { name },
    schemaVersion: '2.1.0',
    sdkVersion: 'test',
    root: { dag: { tasks: { step: { taskInfo: { name: 'step' }, componentRef: { name: 'comp-step' } } } } },
    components: {
      'comp-step': {
        executorLabel: 'exec-step',
        outputDefinitions: {
          parameters: Object.fromEntries((outputs.parameters ?? []).map((p) => [p, { parameterType: 'STRING' }])),
          artifacts: Object.fromEntries((outputs.artifacts ?? []).map((a) => [a, { artifactType: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' } }])),
        },
      },
    },
    deploymentSpec: { executors: { 'exec-step': { container: { image: 'python:3.11', command: ['sh', '-c', script], args } } } },
  };
  const file = join(specDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** KFP's lightweight-component command: pip-install `requirements` (as its compiler writes it), then run `python`. */
function lightweight(name: string, requirements: string[], python: string, outputFile: string): string {
  const quoted = requirements.map((r) => `'${r}'`).join(' ');
  const install = `\nif ! [ -x "$(command -v pip)" ]; then\n    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\nfi\n\n`
    + `PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location ${quoted} '--no-deps' && "$0" "$@"\n`;
  const spec = JSON.parse(readFileSync(oneStep(name, '', [], { parameters: ['out'] }), 'utf8'));
  spec.deploymentSpec.executors['exec-step'].container = {
    image: 'python:3.11',
    command: ['sh', '-c', install, 'sh', '-ec', 'python3 -c "$0" "$1"', python],
    args: [outputFile],
  };
  const file = join(specDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** A root-only directory holding a secret, as /root is. */
function rootSecret(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-secret-'));
  const file = join(dir, 'secret');
  writeFileSync(file, 'root-only-secret', { mode: 0o600 });
  return { dir, file };
}

const OUT = "{{$.outputs.parameters['out'].output_file}}";

describeAsRoot('steps cannot touch Sluice or each other', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('isolation');
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
    rmSync(specDir, { recursive: true, force: true });
  });

  async function runToEnd(file: string) {
    const { run_id } = await engine.createRun(file);
    const run = await engine.waitForRun(run_id, 300_000);
    return run;
  }

  test('steps run as an unprivileged uid of their own, never root', async () => {
    const run = await runToEnd(oneStep('whoami', 'printf %s "$(id -u):$(id -g):$(id -un)" > "$0"', [OUT], { parameters: ['out'] }));
    expect(run.state).toBe('SUCCEEDED');
    const [uid, gid, name] = String(taskByName(run, 'step').output_parameters?.out).split(':');
    expect(Number(uid)).toBeGreaterThan(2000000000);
    expect(Number(gid)).toBe(2000000000);
    expect(name).toBe('sluice-step');
  });

  test('a step reaches neither Temporal, PostgreSQL nor the API: it has no network', async () => {
    const ports = [engine.config.temporalPort, engine.config.postgresPort, engine.config.apiPort];
    const probe = 'import socket, sys\nr = []\nfor p in sys.argv[2:]:\n    try:\n        socket.create_connection(("127.0.0.1", int(p)), timeout=2); r.append(p)\n    except OSError:\n        pass\nopen(sys.argv[1], "w").write(",".join(r) or "unreachable")';
    const run = await runToEnd(oneStep('no-network', 'python3 -c "$1" "$0" "$2" "$3" "$4"', [OUT, probe, ...ports.map(String)], { parameters: ['out'] }));
    expect(run.state).toBe('SUCCEEDED');
    expect(taskByName(run, 'step').output_parameters).toEqual({ out: 'unreachable' });
  });

  test("a step's /tmp is its own, as a pod's is: a file left there by another step is not in the way", async () => {
    // KFP's notebook component writes /tmp/kfp_nb_outputs; a shared /tmp would hand the second run another uid's directory.
    const script = 'r=$(ls -A /tmp | tr "\\n" " "); mkdir /tmp/kfp_nb_outputs && echo mine > /tmp/kfp_nb_outputs/log.txt && r="$r ok"; printf "%s" "$r" > "$0"';
    const file = oneStep('private-tmp', script, [OUT], { parameters: ['out'] });
    for (let i = 0; i < 2; i++) {
      const run = await runToEnd(file);
      expect(run.state).toBe('SUCCEEDED');
      // Nothing of the host's /tmp but the directories bound back for Sluice itself (under the test root).
      expect(String(taskByName(run, 'step').output_parameters?.out).trim().split(' ').pop()).toBe('ok');
    }
    expect(existsSync('/tmp/kfp_nb_outputs/log.txt') && readFileSync('/tmp/kfp_nb_outputs/log.txt', 'utf8') === 'mine\n').toBe(false);
  });

  test("two steps running at once cannot write each other's directories", async () => {
    // The first step names its outputs directory in a shared drop box and waits; the second tries to write there.
    const drop = stepWritableDir('dropbox');
    const spec = JSON.parse(readFileSync(oneStep('neighbours', '', [], {}), 'utf8'));
    const task = (name: string) => ({ taskInfo: { name }, componentRef: { name: `comp-${name}` } });
    const component = (name: string) => ({ executorLabel: `exec-${name}`, outputDefinitions: { parameters: { out: { parameterType: 'STRING' } } } });
    const victim = 'd=$(dirname "$0"); echo "$d" > "$1/victim.tmp"; mv "$1/victim.tmp" "$1/victim"; i=0; while [ ! -e "$1/done" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; ls "$d" > /dev/null; printf %s "$(cat "$d/planted" 2>/dev/null || echo untouched)" > "$0"';
    const attacker = 'i=0; while [ ! -e "$1/victim" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; d=$(cat "$1/victim"); r=""; '
      + '(echo evil > "$d/planted") 2>/dev/null && r="$r written"; (kill -0 $(pgrep -u "$(stat -c %u "$d" 2>/dev/null || echo 0)" | head -1)) 2>/dev/null && r="$r signalled"; '
      + 'touch "$1/done"; printf "%s" "${r:-denied}" > "$0"';
    spec.root.dag.tasks = { victim: task('victim'), attacker: task('attacker') };
    spec.components = { 'comp-victim': component('victim'), 'comp-attacker': component('attacker') };
    spec.deploymentSpec.executors = {
      'exec-victim': { container: { image: 'python:3.11', command: ['sh', '-c', victim], args: [OUT, drop] } },
      'exec-attacker': { container: { image: 'python:3.11', command: ['sh', '-c', attacker], args: [OUT, drop] } },
    };
    const file = join(specDir, 'neighbours.json');
    writeFileSync(file, JSON.stringify(spec));
    const run = await runToEnd(file);
    expect(run.state).toBe('SUCCEEDED');
    expect(taskByName(run, 'attacker').output_parameters).toEqual({ out: 'denied' });
    expect(taskByName(run, 'victim').output_parameters).toEqual({ out: 'untouched' });
  });

  test('an output-parameter file symlinked to a root-only file fails the task; the secret is never read', async () => {
    const secret = rootSecret();
    const run = await runToEnd(oneStep('symlinked-output', 'mkdir -p "$(dirname "$0")"; ln -s "$1" "$0"', [OUT, secret.file], { parameters: ['out'] }));
    expect(run.state).toBe('FAILED');
    const task = taskByName(run, 'step');
    expect(task.error?.message).toMatch(/is a symbolic link/);
    expect(JSON.stringify(run)).not.toContain('root-only-secret');
  });

  test("an outputs directory replaced with a symlink out of the launch fails the task; the secret is never read", async () => {
    const secret = rootSecret();
    writeFileSync(join(secret.dir, 'out'), 'root-only-secret', { mode: 0o600 });
    const run = await runToEnd(oneStep('symlinked-dir', 'd=$(dirname "$0"); rm -rf "$d"; ln -s "$1" "$d"', [OUT, secret.dir], { parameters: ['out'] }));
    expect(run.state).toBe('FAILED');
    expect(taskByName(run, 'step').error?.message).toMatch(/outside/);
    expect(JSON.stringify(run)).not.toContain('root-only-secret');
    // Sealing the launch changed nothing through the link.
    expect(statSync(secret.dir).uid).toBe(0);
    expect(statSync(secret.dir).mode & 0o777).toBe(0o700);
  });

  test('a log replaced with a symlink is not followed by the log route', async () => {
    const secret = rootSecret();
    const run = await runToEnd(oneStep('log-link', 'echo hello; printf x > "$0"', [OUT], { parameters: ['out'] }));
    expect(run.state).toBe('SUCCEEDED');
    const [attempt] = await engine.store.listTaskAttempts(run.run_id, 'root/step');
    const logs = attempt.logUri;
    expect(readFileSync(logs, 'utf8')).toContain('hello');
    rmSync(logs);
    symlinkSync(secret.file, logs);
    const res = await engine.fetch(`/apis/v2beta1/runs/${run.run_id}/tasks/step/logs`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('root-only-secret');
  });

  test("a finished run's artifact cannot be overwritten or removed by another run's step", async () => {
    const first = await runToEnd(oneStep('producer', 'mkdir -p "$(dirname "$0")"; printf original > "$0"', ["{{$.outputs.artifacts['data'].path}}"], { artifacts: ['data'] }));
    expect(first.state).toBe('SUCCEEDED');
    const artifact = join(engine.config.artifactRoot, first.run_id, 'root', 'step', 'outputs', 'data');
    expect(readFileSync(artifact, 'utf8')).toBe('original');
    const attack = 'r=""; (printf evil > "$1") 2>/dev/null && r="$r written"; rm -rf "$1" 2>/dev/null; [ -e "$1" ] || r="$r removed"; '
      + 'mv "$(dirname "$1")" "$(dirname "$1").moved" 2>/dev/null && r="$r moved"; printf "%s" "${r:-denied}" > "$0"';
    const second = await runToEnd(oneStep('overwriter', attack, [OUT, artifact], { parameters: ['out'] }));
    expect(second.state).toBe('SUCCEEDED');
    expect(taskByName(second, 'step').output_parameters).toEqual({ out: 'denied' });
    expect(readFileSync(artifact, 'utf8')).toBe('original');
  });

  test("Temporal's SQLite file, PostgreSQL's data and its passwords are unreadable from a step, and not in its environment", async () => {
    const root = process.env.SLUICE_TEST_ROOT as string;
    const db = join(root, 'temporal', 'temporal.db');
    const pgData = join(root, 'postgres', 'PG_VERSION');
    const passwords = join(root, 'postgres.credentials.json');
    expect(existsSync(db) && existsSync(passwords)).toBe(true);
    const probe = 'r=""; head -c 16 "$1" >/dev/null 2>&1 && r="$r temporal"; cat "$2" >/dev/null 2>&1 && r="$r postgres"; '
      + 'cat "$3" >/dev/null 2>&1 && r="$r passwords"; env | grep -qi "postgres://\\|DATABASE_URL\\|PGPASSWORD" && r="$r env"; printf "%s" "${r:-denied}" > "$0"';
    const run = await runToEnd(oneStep('probe-state', probe, [OUT, db, pgData, passwords], { parameters: ['out'] }));
    expect(run.state).toBe('SUCCEEDED');
    expect(taskByName(run, 'step').output_parameters).toEqual({ out: 'denied' });
  });

  test("a step can change neither the project venv nor the steps' runtime", async () => {
    const venvSite = execFileSync(join(engine.config.venv, 'bin', 'python3'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
    const script = 'site=$(python3 -c "import sysconfig; print(sysconfig.get_paths()[\'purelib\'])"); r=""; '
      + 'touch "$1/sluice-planted" 2>/dev/null && r="$r venv"; touch "$site/sluice-planted" 2>/dev/null && r="$r runtime"; '
      + 'python3 -m pip uninstall -y kfp >/dev/null 2>&1; python3 -c "import kfp" || r="$r uninstalled"; printf "%s" "${r:-denied}" > "$0"';
    const run = await runToEnd(oneStep('venv-writer', script, [OUT, venvSite], { parameters: ['out'] }));
    expect(run.state).toBe('SUCCEEDED');
    expect(taskByName(run, 'step').output_parameters).toEqual({ out: 'denied' });
    expect(existsSync(join(venvSite, 'sluice-planted'))).toBe(false);
  });

  test('concurrent lightweight steps with different requirements each get theirs; nothing shared changes', async () => {
    const version = 'import importlib.metadata as m, sys; open(sys.argv[1], "w").write(m.version("kfp"))';
    const installed = () => execFileSync(join(engine.config.venv, 'bin', 'python3'), ['-c', 'import importlib.metadata as m; print(m.version("kfp"))'], { encoding: 'utf8' }).trim();
    const before = installed();
    const pins = [before, '2.14.6', before, '2.14.6'];
    const runs = await Promise.all(pins.map((pin, i) => runToEnd(lightweight(`pins-${i}`, [`kfp==${pin}`], version, OUT))));
    runs.forEach((run, i) => {
      expect({ state: run.state, error: run.error?.message }).toEqual({ state: 'SUCCEEDED', error: undefined });
      expect(taskByName(run, 'step').output_parameters).toEqual({ out: pins[i] });
    });
    expect(installed()).toBe(before);
  }, 600_000);
});
