/**
 * Golden PipelineSpecs: the demo and the SDK tour compile to the committed YAML byte for byte.
 * After an intended change, regenerate with `UPDATE_GOLDEN=1 npx jest test/sdk/golden` and review the diff.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import digits from '../../examples/digits/pipeline';
import { compilePipeline, toYaml, type Pipeline } from '../../sdk';
import tour from './fixtures/tour-pipeline';

const GOLDEN_DIR = join(__dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const cases: [string, Pipeline][] = [
  ['digits.yaml', digits],
  ['sdk-tour.yaml', tour],
];

describe.each(cases)('%s', (file, definition) => {
  const yaml = toYaml(compilePipeline(definition));

  test('matches the golden file', () => {
    const path = join(GOLDEN_DIR, file);
    if (UPDATE) writeFileSync(path, yaml);
    expect(yaml).toBe(readFileSync(path, 'utf8'));
  });

  test('parses back to the compiled spec', () => {
    expect(parse(yaml)).toEqual(compilePipeline(definition));
  });
});
