/** recognizeKfpLightweight is pure: it takes apart exactly the commands KFP's compiler writes, and nothing else. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recognizeKfpLightweight } from '../../activities/runners/kfp-lightweight';
import { parsePipelineDocument } from '../../ir/parse';
import type { ContainerSpec } from '../../ir/types';
import { compileKfpPipeline } from '../support/kfp-compile';
import { KFP_CORPUS } from '../support/kfp-corpus';
import { saySkipped } from '../support/say-skipped';

/** Every lightweight-component container of the corpus (kfp 2.9 to 2.15), with the file it came from. */
function corpusContainers(): Array<{ file: string; container: ContainerSpec }> {
  const out: Array<{ file: string; container: ContainerSpec }> = [];
  for (const folder of ['critical', 'essential', 'failing']) {
    const dir = join(KFP_CORPUS, folder);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const { spec } = parsePipelineDocument(readFileSync(join(dir, name), 'utf8'));
      for (const executor of Object.values(spec.deploymentSpec?.executors ?? {})) {
        const container = executor.container as ContainerSpec | undefined;
        if (container && JSON.stringify(container.command ?? []).includes('executor_main')) out.push({ file: `${folder}/${name}`, container });
      }
    }
  }
  return out;
}

/** The argv a launch gets once `{{$}}` is resolved. */
const argvOf = (container: ContainerSpec) => [...(container.command as string[]), ...((container.args as string[]) ?? [])].map((a) => a.replace('{{$}}', '{"inputs":{}}'));

const corpusPresent = existsSync(KFP_CORPUS);
if (!corpusPresent) saySkipped(`recognizing the KFP corpus's lightweight components: ${KFP_CORPUS} does not exist`);

(corpusPresent ? describe : describe.skip)('recognizeKfpLightweight on the KFP corpus', () => {
  const containers = corpusContainers();

  test('takes apart every lightweight component of the KFP corpus but the use_venv one', () => {
    expect(containers.length).toBeGreaterThan(50);
    const unrecognized = containers.filter(({ container }) => !recognizeKfpLightweight(argvOf(container))).map((c) => c.file);
    expect(unrecognized).toEqual(['essential/component_with_pip_install_in_venv.yaml']);
    for (const { container } of containers) {
      const argv = argvOf(container);
      const launch = recognizeKfpLightweight(argv);
      if (!launch) continue;
      expect(launch).toMatchObject({ module: 'kfp.dsl.executor_main', kfpRuntime: true, source: argv[6], executorArgs: argv.slice(7), withoutPreamble: argv.slice(3) });
      expect(launch.installs.length).toBeGreaterThan(0);
    }
  });

  test('reads the pip installs, index options included, in order', () => {
    const withIndex = containers.find((c) => c.file === 'essential/component_with_pip_index_urls.yaml');
    expect(recognizeKfpLightweight(argvOf(withIndex!.container))?.installs).toEqual([
      ['--quiet', '--no-warn-script-location', '--index-url', 'https://pypi.org/simple', '--trusted-host', 'https://pypi.org/simple', 'yapf'],
      ['--quiet', '--no-warn-script-location', '--index-url', 'https://pypi.org/simple', '--trusted-host', 'https://pypi.org/simple', 'kfp==2.14.3', '--no-deps', 'typing-extensions>=3.7.4,<5; python_version<"3.9"'],
    ]);
  });
});

describe('recognizeKfpLightweight', () => {
  let noop: ContainerSpec;
  beforeAll(() => {
    const file = compileKfpPipeline(join(__dirname, 'kfp-lightweight', 'steps.py'));
    noop = parsePipelineDocument(readFileSync(file, 'utf8')).spec.deploymentSpec.executors['exec-noop'].container as ContainerSpec;
  });

  test('takes apart what the installed kfp compiles, with and without a preamble', () => {
    const launch = recognizeKfpLightweight(argvOf(noop));
    expect(launch?.installs).toEqual([['--quiet', '--no-warn-script-location', expect.stringMatching(/^kfp==2\./), '--no-deps', 'typing-extensions>=3.7.4,<5; python_version<"3.9"']]);
    expect(launch?.source).toContain('def noop():');
    // install_kfp_package=False and no packages: the program alone.
    expect(recognizeKfpLightweight(launch!.withoutPreamble)).toEqual({ ...launch, installs: [] });
  });

  test('takes apart the forms of kfp 2.0 (kfp.components.executor_main, no _KFP_RUNTIME)', () => {
    const preamble = '\nif ! [ -x "$(command -v pip)" ]; then\n    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\nfi\n\n'
      + "PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet     --no-warn-script-location 'kfp==2.0.0-rc.1' && \"$0\" \"$@\"\n";
    const program = 'program_path=$(mktemp -d)\nprintf "%s" "$0" > "$program_path/ephemeral_component.py"\npython3 -m kfp.components.executor_main                         --component_module_path                         "$program_path/ephemeral_component.py"                         "$@"\n';
    expect(recognizeKfpLightweight(['sh', '-c', preamble, 'sh', '-ec', program, 'def f(): pass', '--function_to_execute', 'f'])).toMatchObject({
      installs: [['--quiet', '--no-warn-script-location', 'kfp==2.0.0-rc.1']],
      module: 'kfp.components.executor_main',
      kfpRuntime: false,
      executorArgs: ['--function_to_execute', 'f'],
    });
  });

  test('anything else runs as written', () => {
    const argv = argvOf(noop);
    const changed = (i: number, value: string) => argv.map((a, j) => (j === i ? value : a));
    for (const argvChanged of [
      changed(2, argv[2].replace('&& "$0"', '&& rm -rf ~ && "$0"')), // more in the preamble
      changed(2, argv[2].replace('--quiet', '--target /tmp/x --quiet')), // a pip option that moves packages
      changed(2, argv[2].replace('PIP_DISABLE_PIP_VERSION_CHECK=1 ', '')),
      changed(5, argv[5].replace('executor_main', 'executor_main; echo hi')), // not kfp's program
      changed(5, argv[5].replace('python3 -m', 'python3 -I -m')),
      changed(4, '-c'),
      argv.slice(0, 6), // no source
      ['python3', '-m', 'kfp.dsl.executor_main', '--executor_input', '{}'],
    ]) expect(recognizeKfpLightweight(argvChanged)).toBeUndefined();
  });
});
