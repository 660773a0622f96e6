import { PlaceholderError, SpecValidationError } from '../../ir/errors';
import { resolveTaskInputs as resolveInScope, type TaskOutputs } from '../../ir/inputs';
import type { RunPlaceholderValues } from '../../ir/placeholders';
import type { ArtifactRef, ParameterValue, PipelineSpec } from '../../ir/types';
import { baseSpec, setPath } from './load-fixtures';

const dataset: ArtifactRef = {
  name: 'dataset',
  uri: '/store/run-1/prepare/dataset',
  schemaTitle: 'system.Dataset',
  schemaVersion: '0.0.1',
  metadata: { rows: 100 },
};
const model: ArtifactRef = { name: 'model', uri: '/store/run-1/train/model', schemaTitle: 'system.Model', schemaVersion: '0.0.1', metadata: {} };

const outputs: Record<string, TaskOutputs> = {
  prepare: { parameters: { count: 100 }, artifacts: { dataset: [dataset] } },
  train: { parameters: { accuracy: 0.93 }, artifacts: { model: [model] } },
};

const run: RunPlaceholderValues = {
  pipelineJobName: 'nightly',
  pipelineJobResourceName: 'train-and-evaluate-abc12',
  pipelineJobUuid: 'run-1',
  pipelineTaskName: 'train',
  pipelineTaskUuid: 'run-1/train',
  pipelineRoot: '/store',
  pipelineJobCreateTimeUtc: '2025-01-02T03:04:05Z',
  pipelineJobScheduleTimeUtc: '2025-01-02T03:04:05Z',
};

/** A root task's inputs: the pipeline's parameters are the root DAG's inputs. */
function resolveTaskInputs(spec: PipelineSpec, name: string, params: Record<string, ParameterValue>, done: Record<string, TaskOutputs>, values?: RunPlaceholderValues) {
  return resolveInScope(spec, name, spec.root.dag.tasks[name], { parameters: params, artifacts: {}, outputs: done }, values);
}

function withTrainInput(name: string, input: unknown): PipelineSpec {
  const spec = baseSpec();
  setPath(spec, `root.dag.tasks.train.inputs.parameters.${name}`, input);
  return spec;
}

function rejection(run: () => unknown): SpecValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpecValidationError) return error;
    throw error;
  }
  throw new Error('expected a SpecValidationError');
}

describe('resolveTaskInputs resolves', () => {
  test('component defaults for a task that sets no inputs', () => {
    expect(resolveTaskInputs(baseSpec(), 'prepare', {}, {})).toEqual({ parameters: { rows: 100 }, artifacts: {} });
  });

  test('pipeline parameters and upstream artifacts, leaving an unset optional input out', () => {
    expect(resolveTaskInputs(baseSpec(), 'train', { lr: 0.1, epochs: 3 }, outputs)).toEqual({
      parameters: { lr: 0.1, epochs: 3 },
      artifacts: { dataset: [dataset] },
    });
  });

  test('upstream parameters, then defaults', () => {
    expect(resolveTaskInputs(baseSpec(), 'evaluate', {}, outputs)).toEqual({
      parameters: { accuracy: 0.93, threshold: 0.5 },
      artifacts: { model: [model] },
    });
  });

  test.each([
    ['a constant', { runtimeValue: { constant: 'fast run' } }, {}, 'fast run'],
    ['a number given to a STRING input, as text', { componentInputParameter: 'epochs' }, { epochs: 3 }, '3'],
    ['a struct given to a STRING input, as JSON', { runtimeValue: { constant: { a: [1] } } }, {}, '{"a":[1]}'],
    ['an f-string over a pipeline value', { runtimeValue: { constant: "lr={{$.inputs.parameters['pipelinechannel--lr']}}!" } }, { lr: 0.25 }, 'lr=0.25!'],
    ['a run placeholder', { runtimeValue: { constant: '{{$.pipeline_job_uuid}}' } }, {}, 'run-1'],
    ['run placeholders inside text', { runtimeValue: { constant: '{{$.pipeline_task_name}}@{{$.pipeline_job_name}}' } }, {}, 'train@nightly'],
  ])('%s', (_name, input, params, notes) => {
    const spec = withTrainInput('notes', input);
    setPath(spec, 'root.dag.tasks.train.inputs.parameters.pipelinechannel--lr', { componentInputParameter: 'lr' });
    const resolved = resolveTaskInputs(spec, 'train', { lr: 0.1, epochs: 3, ...params }, outputs, run);
    expect(resolved.parameters.notes).toBe(notes);
    // kfp's pipeline-channel inputs are passed through, as KFP's driver does.
    expect(resolved.parameters['pipelinechannel--lr']).toBe(resolved.parameters.lr);
  });

  test('an optional pipeline parameter without a value leaves the input to its default or out', () => {
    const spec = withTrainInput('notes', { componentInputParameter: 'tag' });
    setPath(spec, 'root.dag.tasks.evaluate.inputs.parameters.threshold', { componentInputParameter: 'tag' });
    expect(resolveTaskInputs(spec, 'train', { lr: 0.1, epochs: 1, tag: null }, outputs).parameters).toEqual({ lr: 0.1, epochs: 1 });
    expect(resolveTaskInputs(spec, 'evaluate', {}, outputs).parameters.threshold).toBe(0.5);
  });

  test('an integer for a double input stays a number', () => {
    expect(resolveTaskInputs(baseSpec(), 'train', { lr: 1, epochs: 3 }, outputs).parameters.lr).toBe(1);
  });
});

describe('resolveTaskInputs refuses', () => {
  test('an output the producer did not emit', () => {
    const error = rejection(() =>
      resolveTaskInputs(baseSpec(), 'evaluate', {}, { train: { parameters: {}, artifacts: { model: [model] } } }),
    );
    expect(error.issues).toEqual([
      {
        path: 'root.dag.tasks.evaluate.inputs.parameters.accuracy',
        message: 'required by component "comp-evaluate" but has no value: task "train" did not produce output "accuracy"',
      },
    ]);
    expect(error.message).toContain('task "evaluate" cannot start');
  });

  test('inputs from a producer that has not succeeded', () => {
    expect(rejection(() => resolveTaskInputs(baseSpec(), 'evaluate', {}, {})).issues).toEqual([
      { path: 'root.dag.tasks.evaluate.inputs.parameters.accuracy', message: expect.stringContaining('task "train" has no outputs (it has not succeeded)') },
      { path: 'root.dag.tasks.evaluate.inputs.artifacts.model', message: expect.stringContaining('task "train" has no outputs (it has not succeeded)') },
    ]);
  });

  test('an empty artifact list', () => {
    const error = rejection(() => resolveTaskInputs(baseSpec(), 'train', { lr: 0.1, epochs: 3 }, { prepare: { parameters: {}, artifacts: { dataset: [] } } }));
    expect(error.issues).toEqual([
      { path: 'root.dag.tasks.train.inputs.artifacts.dataset', message: expect.stringContaining('task "prepare" did not produce output "dataset"') },
    ]);
  });

  test('a missing pipeline parameter', () => {
    expect(rejection(() => resolveTaskInputs(baseSpec(), 'train', { lr: 0.1 }, outputs)).issues).toEqual([
      { path: 'root.dag.tasks.train.inputs.parameters.epochs', message: expect.stringContaining('input "epochs" of the enclosing DAG has no value') },
    ]);
  });

  test('a value of the wrong type', () => {
    expect(rejection(() => resolveTaskInputs(baseSpec(), 'train', { lr: 'fast', epochs: 3 }, outputs)).issues).toEqual([
      { path: 'root.dag.tasks.train.inputs.parameters.lr', message: 'expected a number, got "fast"' },
    ]);
  });

  test('a run placeholder without the run context', () => {
    const spec = withTrainInput('notes', { runtimeValue: { constant: '{{$.pipeline_job_uuid}}' } });
    expect(() => resolveTaskInputs(spec, 'train', { lr: 0.1, epochs: 3 }, outputs)).toThrow(PlaceholderError);
  });

  test('a workspace placeholder in a run without a workspace', () => {
    const spec = withTrainInput('notes', { runtimeValue: { constant: '{{$.workspace_path}}/data' } });
    expect(() => resolveTaskInputs(spec, 'train', { lr: 0.1, epochs: 3 }, outputs, run)).toThrow('this run has no workspace');
    expect(resolveTaskInputs(spec, 'train', { lr: 0.1, epochs: 3 }, outputs, { ...run, workspacePath: '/ws' }).parameters.notes).toBe('/ws/data');
  });
});
