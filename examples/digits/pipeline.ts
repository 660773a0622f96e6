import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config/config';
import { ClassificationMetrics, Dataset, Metrics, Model, Param, containerComponent, pipeline } from '../../sdk';

/**
 * Steps need Python 3 with scikit-learn, numpy and joblib. The local runner finds them in the
 * project venv; on Kubernetes, use an image built `FROM python:3.11` with scikit-learn installed.
 */
const IMAGE = 'python:3.11';

/** Unbuffered output, so progress lines reach the task log as they are printed. */
const ENV = { PYTHONUNBUFFERED: '1' };

/**
 * `python3 -c <source>` for a script in `steps/`, read when the pipeline is compiled. The spec
 * then carries the step's code; parameters follow as argv, never spliced into a shell string.
 * Resolved from the project root so it works from `dist/` too, where tsc copies no .py files.
 */
function pythonStep(script: string): string[] {
  return ['python3', '-c', readFileSync(join(PROJECT_ROOT, 'examples', 'digits', 'steps', script), 'utf8')];
}

const loadData = containerComponent({
  name: 'load-data',
  image: IMAGE,
  env: ENV,
  inputs: { test_size: Param.double(), seed: Param.int() },
  outputs: { train_data: Dataset, test_data: Dataset },
  command: () => pythonStep('load_data.py'),
  args: (io) => [
    '--test-size', io.inputs.test_size,
    '--seed', io.inputs.seed,
    '--train-data', io.outputs.train_data.path,
    '--test-data', io.outputs.test_data.path,
  ],
});

const train = containerComponent({
  name: 'train',
  image: IMAGE,
  env: ENV,
  inputs: { train_data: Dataset, C: Param.double(), gamma: Param.double() },
  outputs: { model: Model, train_accuracy: Param.double() },
  command: () => pythonStep('train.py'),
  args: (io) => [
    '--train-data', io.inputs.train_data.path,
    '--C', io.inputs.C,
    '--gamma', io.inputs.gamma,
    '--model', io.outputs.model.path,
    '--train-accuracy', io.outputs.train_accuracy.outputFile,
  ],
});

/** Output names must stay `metrics` and `confusion_matrix`: evaluate.py reports metadata under them. */
const evaluate = containerComponent({
  name: 'evaluate',
  image: IMAGE,
  env: ENV,
  inputs: { model: Model, test_data: Dataset },
  outputs: { metrics: Metrics, confusion_matrix: ClassificationMetrics, accuracy: Param.double() },
  command: () => pythonStep('evaluate.py'),
  args: (io) => [
    '--model', io.inputs.model.path,
    '--test-data', io.inputs.test_data.path,
    '--metrics', io.outputs.metrics.path,
    '--metrics-uri', io.outputs.metrics.uri,
    '--confusion-matrix', io.outputs.confusion_matrix.path,
    '--confusion-matrix-uri', io.outputs.confusion_matrix.uri,
    '--accuracy', io.outputs.accuracy.outputFile,
    '--executor-output', io.outputFile,
  ],
});

/** Trains and evaluates an RBF support vector classifier on scikit-learn's bundled digits. */
export default pipeline(
  {
    name: 'digits',
    description: "Train and evaluate an SVM classifier on scikit-learn's bundled handwritten digits.",
    inputs: {
      test_size: Param.double(0.25),
      seed: Param.int(42),
      C: Param.double(10),
      gamma: Param.double(0.001),
    },
  },
  ({ test_size, seed, C, gamma }) => {
    const data = loadData({ test_size, seed });
    const model = train({ train_data: data.outputs.train_data, C, gamma });
    evaluate({ model: model.outputs.model, test_data: data.outputs.test_data });
  },
);
