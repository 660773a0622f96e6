/**
 * Lightweight Python steps through the whole engine (API, workflow, worker with warm
 * interpreters): every kind of metrics artifact is recorded with the metadata KFP's executor
 * wrote, and `packages_to_install` is met by an environment built from a local index (no network),
 * whose step then runs without pip.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/config';
import { startTestEngine, taskByName, type TestEngine } from '../support/engine';
import { compileKfpPipeline } from '../support/kfp-compile';

// A wheel and a PEP 503 index of it in a directory the step user (who builds environments) can read.
const WHEEL = String.raw`
import base64, hashlib, sys, zipfile
out, name, version = sys.argv[1], 'sluice_probe_pkg', '1.0'
files = {
    f'{name}/__init__.py': 'VALUE = "from a local wheel"\n',
    f'{name}-{version}.dist-info/METADATA': f'Metadata-Version: 2.1\nName: sluice-probe-pkg\nVersion: {version}\n',
    f'{name}-{version}.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: sluice-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
}
record = ''.join(f'{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode()},{len(c.encode())}\n' for p, c in files.items())
files[f'{name}-{version}.dist-info/RECORD'] = record + f'{name}-{version}.dist-info/RECORD,,\n'
with zipfile.ZipFile(f'{out}/{name}-{version}-py3-none-any.whl', 'w') as z:
    for p, c in files.items():
        z.writestr(p, c)
`;

function localIndex(): string {
  const dir = mkdtempSync('/var/tmp/sluice-index-');
  chmodSync(dir, 0o755);
  const project = join(dir, 'simple', 'sluice-probe-pkg');
  mkdirSync(project, { recursive: true, mode: 0o755 });
  execFileSync(join(loadConfig().venv, 'bin', 'python3'), ['-c', WHEEL, dir]);
  chmodSync(join(dir, 'sluice_probe_pkg-1.0-py3-none-any.whl'), 0o644);
  writeFileSync(join(project, 'index.html'), '<html><body><a href="../../sluice_probe_pkg-1.0-py3-none-any.whl">sluice_probe_pkg-1.0-py3-none-any.whl</a></body></html>\n');
  return dir;
}

describe('lightweight steps through the engine', () => {
  let engine: TestEngine;
  let index: string;
  let specFile: string;
  beforeAll(async () => {
    index = localIndex();
    process.env.SLUICE_TEST_WHEEL_INDEX = `file://${join(index, 'simple')}`;
    specFile = compileKfpPipeline(join(__dirname, 'kfp-lightweight', 'recorded.py'));
    engine = await startTestEngine('lightweight');
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
    rmSync(index, { recursive: true, force: true });
  });

  test('Metrics, ClassificationMetrics, SlicedClassificationMetrics, HTML and Markdown are recorded with their metadata; a local package is installed once, without the network', async () => {
    const { run_id } = await engine.createRun(specFile);
    const run = await engine.waitForRun(run_id, 300_000);
    expect({ state: run.state, error: run.error }).toEqual({ state: 'SUCCEEDED', error: undefined });
    expect(taskByName(run, 'uses-package').output_parameters).toEqual({ Output: 'from a local wheel' });

    const artifacts = Object.fromEntries((await engine.store.listArtifacts(run_id)).map((a) => [a.outputKey, a]));
    expect(artifacts.accuracy).toMatchObject({ schemaTitle: 'system.Metrics', metadata: { accuracy: 0.9, loss: 0.25 } });
    expect(artifacts.classification).toMatchObject({
      schemaTitle: 'system.ClassificationMetrics',
      metadata: {
        confusionMatrix: { annotationSpecs: [{ displayName: 'cat' }, { displayName: 'dog' }], rows: [{ row: [9, 1] }, { row: [2, 8] }] },
        confidenceMetrics: [
          { confidenceThreshold: 1.0, recall: 0.0, falsePositiveRate: 0.0 },
          { confidenceThreshold: 0.5, recall: 0.8, falsePositiveRate: 0.5 },
          { confidenceThreshold: 0.0, recall: 1.0, falsePositiveRate: 1.0 },
        ],
      },
    });
    expect(artifacts.sliced).toMatchObject({
      schemaTitle: 'system.SlicedClassificationMetrics',
      metadata: {
        evaluationSlices: [{
          slice: 'overall',
          sliceClassificationMetrics: {
            confusionMatrix: { annotationSpecs: [{ displayName: 'cat' }, { displayName: 'dog' }], rows: [{ row: [9, 1] }, { row: [0, 0] }] },
            confidenceMetrics: [{ confidenceThreshold: 0.5, recall: 0.8, falsePositiveRate: 0.2 }],
          },
        }],
      },
    });
    expect(artifacts.page.schemaTitle).toBe('system.HTML');
    expect(readFileSync(artifacts.page.uri, 'utf8')).toBe('<h1>report</h1>');
    expect(artifacts.notes.schemaTitle).toBe('system.Markdown');
    expect(readFileSync(artifacts.notes.uri, 'utf8')).toBe('# notes');

    // The environment was built (its pip output is in the log), and the step itself ran no pip.
    const [attempt] = await engine.store.listTaskAttempts(run_id, 'root/uses-package');
    const log = readFileSync(attempt.logUri, 'utf8');
    expect(log).toContain('sluice: building a Python environment for');
    expect(log).not.toMatch(/Requirement already satisfied|Looking in indexes/);

    // A second run finds the environment built: nothing is installed, and nothing asks an index.
    const again = await engine.waitForRun((await engine.createRun(specFile)).run_id, 300_000);
    expect(again.state).toBe('SUCCEEDED');
    const [second] = await engine.store.listTaskAttempts(again.run_id, 'root/uses-package');
    expect(readFileSync(second.logUri, 'utf8')).not.toMatch(/building a Python environment|pip/);
  }, 600_000);
});
