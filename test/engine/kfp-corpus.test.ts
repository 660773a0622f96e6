import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestEngine, type TestEngine } from '../support/engine';
import { KFP_CORPUS } from '../support/kfp-corpus';
import { saySkipped } from '../support/say-skipped';

const CORPUS = KFP_CORPUS;

/**
 * Pipelines compiled by KFP's own SDK whose steps are plain container commands (no lightweight
 * Python, which needs per-step package installs, and no control flow): each must run to
 * SUCCEEDED unchanged. The rest of the corpus arrives with the features it uses.
 */
const CONTAINER_ONLY = [
  'critical/container_component_with_no_inputs.yaml',
  'critical/two_step_pipeline_containerized.yaml',
  'critical/producer_consumer_param_pipeline.yaml',
  'essential/container_no_input.yaml',
  'essential/pipeline_with_after.yaml',
  'essential/placeholder_with_if_placeholder_none_input_value.yaml',
];

const describeCorpus = existsSync(CORPUS) ? describe : describe.skip;
if (!existsSync(CORPUS)) saySkipped(`the KFP corpus runs: ${CORPUS} does not exist`);

describeCorpus('KFP-compiled container pipelines run unchanged', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('corpus');
  });
  afterAll(async () => {
    await engine?.stop();
  });

  test.each(CONTAINER_ONLY)('%s succeeds', async (file) => {
    const { run_id } = await engine.createRun(join(CORPUS, file));
    const run = await engine.waitForRun(run_id);
    expect({ file, state: run.state, error: run.error?.message }).toEqual({ file, state: 'SUCCEEDED', error: undefined });
    expect(run.run_details?.task_details?.length).toBeGreaterThan(0);
  });
});
