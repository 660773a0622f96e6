/**
 * KFP itself accepts what the SDK emits: the official `kfp` SDK (in the project venv) loads each
 * compiled spec with strict protobuf parsing, which rejects unknown fields and bad values, and
 * then compiles it again as a nested pipeline of its own. Skipped, with a warning, only when the
 * venv's Python cannot import kfp.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config/config';
import digits from '../../examples/digits/pipeline';
import { compilePipeline, toYaml, type Pipeline } from '../../sdk';
import tour from './fixtures/tour-pipeline';

const PYTHON = join(PROJECT_ROOT, '.venv', 'bin', 'python');

/** Loads the spec at argv[1], prints its inputs, then compiles it inside a KFP pipeline with the arguments in argv[2]. */
const LOAD_WITH_KFP = `
import json, sys, tempfile
from kfp import compiler, components, dsl

component = components.load_component_from_file(sys.argv[1])
inputs = {name: {"type": spec.type, "default": spec.default, "optional": spec.optional}
          for name, spec in component.component_spec.inputs.items()}

@dsl.pipeline(name="outer")
def outer():
    component(**json.loads(sys.argv[2]))

with tempfile.NamedTemporaryFile(suffix=".yaml") as out:
    compiler.Compiler().compile(outer, out.name)
print(json.dumps({"name": component.name, "inputs": inputs}))
`;

const probe = spawnSync(PYTHON, ['-c', 'import kfp'], { encoding: 'utf8' });
const kfpAvailable = probe.status === 0;
if (!kfpAvailable) {
  console.warn(
    `Skipping KFP compatibility tests: ${PYTHON} cannot import kfp (${(probe.stderr || String(probe.error)).trim()}). ` +
      'Install it with .venv/bin/pip install kfp.',
  );
}
const kfpTest = kfpAvailable ? test : test.skip;

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'sluice-kfp-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function loadWithKfp(definition: Pipeline, args: Record<string, unknown>): { name: string; inputs: Record<string, unknown> } {
  const path = join(workDir, `${definition.name}.yaml`);
  writeFileSync(path, toYaml(compilePipeline(definition)));
  const result = spawnSync(PYTHON, ['-c', LOAD_WITH_KFP, path, JSON.stringify(args)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kfp rejected ${definition.name}:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

kfpTest('kfp loads the digits demo with its run parameters', () => {
  expect(loadWithKfp(digits, {})).toEqual({
    name: 'digits',
    inputs: {
      test_size: { type: 'Float', default: 0.25, optional: true },
      seed: { type: 'Integer', default: 42, optional: true },
      C: { type: 'Float', default: 10, optional: true },
      gamma: { type: 'Float', default: 0.001, optional: true },
    },
  });
});

kfpTest('kfp loads the SDK tour (structured args, retries, caching, optional inputs)', () => {
  expect(loadWithKfp(tour, {}).inputs).toEqual({
    who: { type: 'String', default: 'world', optional: true },
    ratio: { type: 'Float', default: 0.5, optional: true },
    note: { type: 'String', default: null, optional: true },
  });
});
