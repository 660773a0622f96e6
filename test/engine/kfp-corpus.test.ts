import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestEngine, type ApiRun, type TestEngine } from '../support/engine';
import { KFP_CORPUS } from '../support/kfp-corpus';
import { saySkipped } from '../support/say-skipped';

const CORPUS = KFP_CORPUS;

/** Runtime parameters of the corpus files with required inputs, from the corpus README. */
const PARAMETERS: Record<string, Record<string, unknown>> = {
  'critical/add_numbers.yaml': { a: 1, b: 2 },
  'essential/concat_message.yaml': { message1: 'Hello', message2: 'World' },
  'essential/dict_input.yaml': { struct: { a: 1, b: 'two' } },
  'essential/lightweight_python_functions_pipeline.yaml': { message: 'hello' },
  'essential/lightweight_python_functions_with_outputs.yaml': { first_message: 'a', first_number: 1, second_message: 'b', second_number: 2 },
};

/**
 * What each file must do on the local runner when it does not simply succeed (critical/,
 * essential/) or fail (failing/). docs/kfp-corpus.md gives the table with the reasons.
 */
const EXCEPTIONS: Record<string, { refused: RegExp } | { fails: RegExp }> = {
  // Kubernetes-only features: refused at creation, naming the feature and the runner that has it.
  'critical/missing_kubernetes_optional_inputs.yaml': { refused: /needs the Kubernetes runner/ },
  // The model arrives as an oci:// parameter at run time; only the Kubernetes runner mounts OCI images.
  'critical/modelcar.yaml': { fails: /The model does not exist at: \/oci\// },
  'critical/pipeline_with_pod_metadata.yaml': { refused: /needs the Kubernetes runner/ },
  'critical/pipeline_with_secret_as_env.yaml': { refused: /'secretAsEnv' is not supported yet .*needs the Kubernetes runner/ },
  'critical/pipeline_with_volume_long_name.yaml': { refused: /kubernetes\.CreatePVC .*needs the Kubernetes runner/ },
  // Compiled by a newer SDK than the kfp its steps pin and install: the pinned kfp lacks the API.
  'critical/pipeline_with_artifact_custom_path.yaml': { fails: /'Dataset' object has no attribute 'set_path'/ },
  'essential/embedded_artifact.yaml': { fails: /module 'kfp.dsl' has no attribute 'EmbeddedInput'/ },
  // The step downloads a data set from the Hugging Face Hub, which this host cannot reach.
  'critical/pipeline_with_artifact_upload_download.yaml': { fails: /Couldn't find 'google\/frames-benchmark'/ },
};

function files(folder: string): string[] {
  const dir = join(CORPUS, folder);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${folder}/${f}`) : [];
}

const describeCorpus = existsSync(CORPUS) ? describe : describe.skip;
if (!existsSync(CORPUS)) saySkipped(`the KFP corpus runs: ${CORPUS} does not exist`);

/**
 * Every pipeline KFP's SDK compiled for KFP's own tests runs unchanged: critical/ and essential/
 * succeed, failing/ fails with the failing task's error while its exit handlers run and succeed,
 * and what the local runner cannot honour is refused at creation, naming the feature.
 */
describeCorpus('the KFP corpus on the local runner', () => {
  let engine: TestEngine;
  const all = [...files('critical'), ...files('essential'), ...files('failing')];
  const runs = new Map<string, Promise<ApiRun | { refusal: string }>>();

  beforeAll(async () => {
    engine = await startTestEngine('corpus', { parallelism: 8 });
    // All runs at once: the engine's parallelism bounds the steps; each test waits for its own.
    for (const file of all) {
      runs.set(
        file,
        engine.createRun(join(CORPUS, file), PARAMETERS[file] ?? {}).then(
          ({ run_id }) => engine.waitForRun(run_id, 15 * 60_000),
          (err: Error) => ({ refusal: err.message }),
        ),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled(runs.values());
    await engine?.stop();
  });

  test.each(all)('%s', async (file) => {
    const outcome = await runs.get(file);
    const exception = EXCEPTIONS[file];
    if (exception && 'refused' in exception) {
      expect(outcome).toEqual({ refusal: expect.stringMatching(exception.refused) });
      return;
    }
    const run = outcome as ApiRun;
    const failed = (run.run_details?.task_details ?? []).filter((t) => t.state === 'FAILED').map((t) => `${String(t.task_path)}: ${t.error?.message}`);
    if (exception && 'fails' in exception) {
      expect({ state: run.state, error: run.error?.message }).toEqual({ state: 'FAILED', error: expect.stringMatching(exception.fails) });
    } else if (file.startsWith('failing/')) {
      expect(run.state).toBe('FAILED');
      expect(run.error?.message).toBeTruthy();
      // Exit handlers still run, and their tasks succeed.
      const exits = (run.run_details?.task_details ?? []).filter((t) => /exit|cleanup|final/i.test(t.display_name) && t.kind === 'CONTAINER');
      for (const t of exits) expect({ task: t.task_path, state: t.state }).toEqual({ task: t.task_path, state: 'SUCCEEDED' });
    } else {
      expect({ state: run.state, error: run.error?.message, failed }).toEqual({ state: 'SUCCEEDED', error: undefined, failed: [] });
    }
  }, 16 * 60_000);
});
