import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { PREBUILT_WORKFLOW_BUNDLE } from '../../worker/create-worker';
import { startTestEngine, type TestEngine } from '../support/engine';

const HISTORIES = join(__dirname, 'histories');
const fixture = (name: string) => join(__dirname, '..', 'engine', 'fixtures', name);

/**
 * Runs in flight across a deploy replay their history on the new code. Histories recorded from
 * earlier versions live in histories/; each must replay with no determinism violation. Set
 * RECORD_HISTORIES=1 to add this version's histories there.
 */
describe('workflow replay', () => {
  const bundle = { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE } };

  test('the prebuilt workflow bundle exists (npm test builds it)', () => {
    expect(existsSync(PREBUILT_WORKFLOW_BUNDLE)).toBe(true);
  });

  test('committed histories replay on the current workflow code', async () => {
    const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const history = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8'));
      await expect(Worker.runReplayHistory(bundle, history, file.replace(/\.json$/, ''))).resolves.toBeUndefined();
    }
  });

  describe('fresh histories', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await startTestEngine('replay');
    });
    afterAll(async () => {
      await engine?.stop();
    });

    test.each([
      ['succeeded', 'two-step.yaml', { times: 2 }],
      ['failed', 'fail.yaml', {}],
    ])('a %s run replays', async (label, file, params) => {
      const { run_id } = await engine.createRun(fixture(file), params);
      await engine.waitForRun(run_id);
      const history = await engine.temporal.workflow.getHandle(run_id).fetchHistory();
      await Worker.runReplayHistory(bundle, history, run_id);
      if (process.env.RECORD_HISTORIES) {
        // The CLI writes the canonical JSON form, the same the Temporal UI exports.
        const json = execFileSync(engine.config.temporalCli, ['workflow', 'show', '--address', engine.temporalAddress, '--workflow-id', run_id, '--output', 'json'], { encoding: 'utf8' });
        writeFileSync(join(HISTORIES, `v1-${label}.json`), json);
      }
    });
  });
});
