/**
 * Runs the digits demo's steps for real, from the compiled spec: each executor's command and
 * args with placeholders resolved to temp paths, in dependency order, with the project venv
 * first on PATH as the local runner has it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config/config';
import digits from '../../examples/digits/pipeline';
import { compilePipeline } from '../../sdk';
import type { PipelineSpec, PipelineTaskSpec } from '../../ir/types';

const spec = compilePipeline(digits);
let workDir: string;
const logs: Record<string, string> = {};

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'sluice-digits-'));
  for (const name of dependencyOrder(spec)) logs[name] = runTask(name);
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

test('each step prints progress lines', () => {
  expect(logs['load-data']).toMatch(/loaded 1797 images/);
  expect(logs.train).toMatch(/training accuracy/);
  expect(logs.evaluate).toMatch(/test accuracy/);
});

test('evaluate reports accuracy > 0.9 and a 10x10 confusion matrix through the executor output', () => {
  const output = JSON.parse(readFileSync(outputFile('evaluate'), 'utf8'));
  const [metrics] = output.artifacts.metrics.artifacts;
  expect(metrics.metadata.accuracy).toBeGreaterThan(0.9);
  expect(metrics.uri).toBe(artifactPath('evaluate', 'metrics'));

  const { confusionMatrix } = output.artifacts.confusion_matrix.artifacts[0].metadata;
  expect(confusionMatrix.annotationSpecs).toEqual([...Array(10).keys()].map((d) => ({ displayName: String(d) })));
  expect(confusionMatrix.rows).toHaveLength(10);
  for (const { row } of confusionMatrix.rows) expect(row).toHaveLength(10);
  const total = confusionMatrix.rows.flatMap((r: { row: number[] }) => r.row).reduce((a: number, b: number) => a + b, 0);
  expect(total).toBe(450); // 25% of 1797 digits, rounded up by train_test_split
});

test('artifact files and output parameters hold the same results', () => {
  const accuracy = Number(readFileSync(parameterFile('evaluate', 'accuracy'), 'utf8'));
  expect(JSON.parse(readFileSync(artifactPath('evaluate', 'metrics'), 'utf8'))).toEqual({ accuracy });
  const matrix = JSON.parse(readFileSync(artifactPath('evaluate', 'confusion_matrix'), 'utf8'));
  expect(matrix.confusionMatrix.rows).toHaveLength(10);
  expect(Number(readFileSync(parameterFile('train', 'train_accuracy'), 'utf8'))).toBeGreaterThan(0.9);
});

function runTask(name: string): string {
  const task = spec.root.dag.tasks[name];
  const container = spec.deploymentSpec.executors[`exec-${name}`].container!;
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((arg) => resolve(arg, name, task));
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
  const result = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, ...env, PATH: `${join(PROJECT_ROOT, '.venv', 'bin')}:${process.env.PATH}` },
  });
  if (result.status !== 0) throw new Error(`${name} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Resolves the simple placeholders the demo uses, as a launcher would for this task. */
function resolve(arg: string, taskName: string, task: PipelineTaskSpec): string {
  return arg.replace(/\{\{\$(?:\.(inputs|outputs)\.(parameters|artifacts)\['(\w+)'\](?:\.(\w+))?|\.outputs\.output_file)\}\}/g, (
    placeholder, io?: string, kind?: string, key?: string) => {
    if (!io) return outputFile(taskName);
    if (io === 'outputs') return kind === 'parameters' ? parameterFile(taskName, key!) : artifactPath(taskName, key!);
    if (kind === 'artifacts') {
      const source = task.inputs!.artifacts![key!].taskOutputArtifact!;
      return artifactPath(source.producerTask, source.outputArtifactKey);
    }
    const source = task.inputs!.parameters![key!];
    if (source.componentInputParameter) {
      return String(spec.root.inputDefinitions!.parameters![source.componentInputParameter].defaultValue);
    }
    throw new Error(`unexpected placeholder ${placeholder}`);
  });
}

const artifactPath = (task: string, key: string) => join(workDir, task, 'artifacts', key);
const parameterFile = (task: string, key: string) => join(workDir, task, 'parameters', key);
const outputFile = (task: string) => join(workDir, task, 'executor_output.json');

function dependencyOrder({ root }: PipelineSpec): string[] {
  const order: string[] = [];
  const pending = Object.entries(root.dag.tasks);
  while (pending.length > 0) {
    const next = pending.findIndex(([, t]) => (t.dependentTasks ?? []).every((d) => order.includes(d)));
    if (next < 0) throw new Error('dependency cycle');
    order.push(pending.splice(next, 1)[0][0]);
  }
  return order;
}
