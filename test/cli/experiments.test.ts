import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../cli/exit-codes';
import { DEFAULT_EXPERIMENT_ID } from '../../store/ids';
import { startTestEngine, type TestEngine } from '../support/engine';
import { cli } from './harness';

const TWO_STEP = join(__dirname, '..', 'engine', 'fixtures', 'two-step.yaml');

/** `sluice experiments …` and `sluice run --experiment NAME` against the whole engine. */
describe('experiments by name, and the pipelines `sluice run` registers', () => {
  let engine: TestEngine;
  let sluice: (...argv: string[]) => ReturnType<typeof cli>;
  beforeAll(async () => {
    engine = await startTestEngine('cli_experiments');
    sluice = (...argv) => cli(['--api', engine.apiUrl, ...argv], { SLUICE_DATA_DIR: engine.config.dataDir });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  const api = async <T>(path: string): Promise<T> => (await (await engine.fetch(`/apis/v2beta1${path}`)).json()) as T;
  const runIdOf = (stdout: string) => /Run (\S+) created/.exec(stdout)?.[1] ?? '';

  test('create, list, get, archive, unarchive and delete, by name or id', async () => {
    const created = await sluice('experiments', 'create', 'cli tuning', '--description', 'learning rates', '--json');
    expect(created).toMatchObject({ code: ExitCode.Success, stderr: '' });
    const { experiment_id: id } = JSON.parse(created.stdout);

    const again = await sluice('experiments', 'create', 'cli tuning');
    expect(again.code).toBe(ExitCode.BadInput);
    expect(again.stderr).toContain('already exists (HTTP 409)');

    const listed = await sluice('experiments', 'list');
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+cli tuning\\s+AVAILABLE`));
    expect(listed.stdout).toMatch(new RegExp(`${DEFAULT_EXPERIMENT_ID}\\s+Default\\s+AVAILABLE`));

    const byName = await sluice('experiments', 'get', 'cli tuning');
    expect(byName.stdout).toMatch(new RegExp(`Experiment:\\s+${id}`));
    expect(byName.stdout).toMatch(/Description:\s+learning rates/);
    expect(JSON.parse((await sluice('experiments', 'get', id, '--json')).stdout)).toMatchObject({ display_name: 'cli tuning', storage_state: 'AVAILABLE' });

    expect(await sluice('experiments', 'archive', 'cli tuning')).toMatchObject({ code: ExitCode.Success, stdout: expect.stringContaining('archived, with its runs') });
    expect((await api<{ storage_state: string }>(`/experiments/${id}`)).storage_state).toBe('ARCHIVED');
    const refused = await sluice('run', TWO_STEP, '-p', 'times=1', '--experiment', 'cli tuning');
    expect(refused.code).toBe(ExitCode.BadInput);
    expect(refused.stderr).toContain(`--experiment: experiment "cli tuning" (${id}) is archived`);
    expect((await sluice('experiments', 'unarchive', id)).code).toBe(ExitCode.Success);
    expect((await api<{ storage_state: string }>(`/experiments/${id}`)).storage_state).toBe('AVAILABLE');

    expect(await sluice('experiments', 'delete', 'cli tuning')).toMatchObject({ code: ExitCode.Success, stdout: expect.stringContaining('deleted; its runs stay') });
    const gone = await sluice('experiments', 'get', 'cli tuning');
    expect(gone).toMatchObject({ code: ExitCode.BadInput, stderr: 'error: experiment: no experiment has the id or name "cli tuning"\n' });
  });

  test('bad input exits 2 naming the argument', async () => {
    const missing = await sluice('experiments', 'archive');
    expect(missing.code).toBe(ExitCode.BadInput);
    expect(missing.stderr).toContain("missing required argument 'experiment'");
    const blank = await sluice('experiments', 'create', '  ');
    expect(blank.code).toBe(ExitCode.BadInput);
    expect(blank.stderr).toBe('error: <name>: an experiment name must not be blank\n');
    const long = await sluice('experiments', 'create', 'x'.repeat(256));
    expect(long.code).toBe(ExitCode.BadInput);
    expect(long.stderr).toContain('display_name: longer than 255 characters');
  });

  test('a token of one namespace registers the pipeline in its namespace, once', async () => {
    const token = (await sluice('tokens', 'create', '--name', 'team', '--scope', 'write', '--namespace', 'team-a')).stdout.trim();
    const team = (...argv: string[]) => cli(['--api', engine.apiUrl, '--token', token, ...argv]);
    expect((await team('experiments', 'create', 'team exp')).code).toBe(ExitCode.Success);
    const first = await team('run', TWO_STEP, '-p', 'times=1', '--experiment', 'team exp', '--name', 'team-run-1');
    expect(first.stdout).toMatch(/Pipeline: +two-step, version \S+ \(a new pipeline\)/);
    const second = await team('run', TWO_STEP, '-p', 'times=1', '--experiment', 'team exp', '--name', 'team-run-2');
    expect(second.stdout).toMatch(/Pipeline: +two-step, version \S+ \(its latest version\)/);
    const [a, b] = await Promise.all([first, second].map((r) => engine.getRun(runIdOf(r.stdout))));
    expect(a.pipeline_version_reference).toEqual(b.pipeline_version_reference);
    const { pipeline_id: pipelineId } = a.pipeline_version_reference as { pipeline_id: string };
    expect((await api<{ namespace: string }>(`/pipelines/${pipelineId}`)).namespace).toBe('team-a');
  });

  test('run --experiment takes a name (Default included), creating one that does not exist, and registers the pipeline once per content', async () => {
    const inDefault = await sluice('run', TWO_STEP, '-p', 'times=1', '--experiment', 'Default', '--wait');
    expect(inDefault.code).toBe(ExitCode.Success);
    expect(inDefault.stdout).toMatch(/Pipeline: +two-step, version \S+ \(a new pipeline\)/);
    expect(inDefault.stdout).toContain(`Experiment:  Default (${DEFAULT_EXPERIMENT_ID})`);
    const first = await engine.getRun(runIdOf(inDefault.stdout));
    expect(first.experiment_id).toBe(DEFAULT_EXPERIMENT_ID);

    const fresh = await sluice('run', TWO_STEP, '-p', 'times=2', '--experiment', 'cli fresh');
    expect(fresh.code).toBe(ExitCode.Success);
    expect(fresh.stdout).toMatch(/Experiment: +cli fresh \(\S+, created now\)/);
    // The same content again: the latest version is reused.
    expect(fresh.stdout).toMatch(/Pipeline: +two-step, version \S+ \(its latest version\)/);
    const second = await engine.getRun(runIdOf(fresh.stdout));
    const [experiment] = (await api<{ experiments: { experiment_id: string }[] }>(
      `/experiments?filter=${encodeURIComponent(JSON.stringify({ predicates: [{ key: 'display_name', operation: 'EQUALS', string_value: 'cli fresh' }] }))}`,
    )).experiments;
    expect(second.experiment_id).toBe(experiment.experiment_id);
    expect(second.pipeline_version_reference).toEqual(first.pipeline_version_reference);
    // The name now names that experiment: no second one is created.
    const third = await sluice('run', TWO_STEP, '-p', 'times=1', '--experiment', 'cli fresh');
    expect(third.stdout).not.toContain('created now');
    expect((await engine.getRun(runIdOf(third.stdout))).experiment_id).toBe(experiment.experiment_id);

    // The other commands that take --experiment take its name too.
    const listed = await sluice('runs', 'list', '--experiment', 'cli fresh');
    expect(listed.stdout.split('\n').filter((line) => line.includes('two-step'))).toHaveLength(2);
    expect(await sluice('runs', 'list', '--experiment', 'nope')).toMatchObject({
      code: ExitCode.BadInput,
      stderr: 'error: --experiment: no experiment has the id or name "nope"\n',
    });
    expect((await sluice('schedule', 'list', '--experiment', 'cli fresh')).stdout).toBe('No recurring runs.\n');

    const { pipeline_id: pipelineId } = first.pipeline_version_reference as { pipeline_id: string };
    const pipeline = await api<{ name: string }>(`/pipelines/${pipelineId}`);
    expect(pipeline.name).toBe('two-step');
    expect((await api<{ total_size: number }>(`/pipelines/${pipelineId}/versions`)).total_size).toBe(1);

    // Changed content (another default greeting) makes a new version, which the run then uses.
    const changed = join(mkdtempSync(join(tmpdir(), 'sluice-cli-exp-')), 'two-step.yaml');
    writeFileSync(changed, readFileSync(TWO_STEP, 'utf8').replace('defaultValue: hello', 'defaultValue: hi'));
    const newer = await sluice('run', changed, '-p', 'times=1');
    expect(newer.stdout).toMatch(/Pipeline: +two-step, version \S+ \(a new version\)/);
    const versions = await api<{ total_size: number; pipeline_versions: { pipeline_version_id: string }[] }>(`/pipelines/${pipelineId}/versions?sort_by=created_at%20desc`);
    expect(versions.total_size).toBe(2);
    expect((await engine.getRun(runIdOf(newer.stdout))).pipeline_version_reference).toEqual({
      pipeline_id: pipelineId,
      pipeline_version_id: versions.pipeline_versions[0].pipeline_version_id,
    });
    // And running it again changes nothing.
    const repeated = await sluice('run', changed, '-p', 'times=1');
    expect(repeated.stdout).toContain('(its latest version)');
    expect((await api<{ total_size: number }>(`/pipelines/${pipelineId}/versions`)).total_size).toBe(2);
  });
});
