// Argument parsing and bad input: everything here must exit 2 before any request is sent, so
// the API URL points at a closed port (a request would show up as exit 3 instead).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { collectParam, parseParam } from '../../cli/params';
import { loadPipelineFile } from '../../cli/pipeline-file';
import { UsageError } from '../../cli/exit-codes';
import { cli, closedPort } from './harness';

const SPEC = `
pipelineInfo:
  name: add-numbers
schemaVersion: 2.1.0
components: {}
deploymentSpec:
  executors: {}
root:
  dag:
    tasks: {}
`;

const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-args-'));
const file = (name: string) => join(dir, name);
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  env = { SLUICE_API: `http://127.0.0.1:${await closedPort()}` };
  writeFileSync(join(dir, 'ok.yaml'), SPEC);
  writeFileSync(join(dir, 'two-docs.yaml'), `${SPEC}---\nplatforms:\n  kubernetes: {}\n`);
  writeFileSync(join(dir, 'broken.yaml'), 'pipelineInfo: [unclosed\n');
  writeFileSync(join(dir, 'not-a-pipeline.json'), '{"hello": "world"}');
  writeFileSync(join(dir, 'empty.yaml'), '');
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  mkdirSync(join(dir, 'a-dir.yaml'));
});

describe('-p key=value', () => {
  test.each([
    ['a=1', ['a', '1']],
    ['msg=hello world', ['msg', 'hello world']],
    ['expr=x=y', ['expr', 'x=y']],
    ['empty=', ['empty', '']],
    ['json={"a": 1}', ['json', '{"a": 1}']],
    ['dotted.name-1=v', ['dotted.name-1', 'v']],
  ])('%s parses', (raw, expected) => {
    expect(parseParam(raw)).toEqual(expected);
  });

  test.each(['novalue', '=1', '1abc=2', 'has space=1'])('%s is rejected', (raw) => {
    expect(() => parseParam(raw)).toThrow(InvalidArgumentError);
  });

  test('repeated -p accumulate; the same key twice is an error', () => {
    expect(collectParam('b=2', collectParam('a=1'))).toEqual({ a: '1', b: '2' });
    expect(() => collectParam('a=2', { a: '1' })).toThrow(/given twice/);
  });
});

describe('bad input exits 2 without contacting the server', () => {
  test.each([
    ['an unknown flag', ['run', file('ok.yaml'), '--bogus'], /unknown option '--bogus'/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['a missing argument', ['run'], /missing required argument 'file'/],
    ['bad -p syntax', ['run', file('ok.yaml'), '-p', 'novalue'], /expected key=value, got "novalue"/],
    ['a -p given twice', ['run', file('ok.yaml'), '-p', 'a=1', '-p', 'a=2'], /given twice/],
    ['bad -a syntax', ['run', file('ok.yaml'), '-a', 'art-1'], /expected key=value, got "art-1"/],
    ['an -a given twice', ['run', file('ok.yaml'), '-a', 'data=x', '-a', 'data=y'], /input artifact "data" is given twice/],
    ['a missing file', ['run', file('missing.yaml')], /cannot read .*missing\.yaml: no such file/],
    ['a directory', ['run', file('a-dir.yaml')], /is a directory/],
    ['YAML that does not parse', ['run', file('broken.yaml')], /broken\.yaml: /],
    ['JSON that is not a pipeline', ['run', file('not-a-pipeline.json')], /not a compiled pipeline \(no pipelineInfo\.name\)/],
    ['an empty file', ['run', file('empty.yaml')], /empty, or not a pipeline spec/],
    ['an unknown file type', ['run', file('notes.txt')], /expected a compiled pipeline/],
    ['compile of a non-module', ['compile', file('ok.yaml')], /expected a TypeScript or JavaScript module/],
    ['a bad --state', ['runs', 'list', '--state', 'DONE'], /Allowed choices are PENDING/],
    ['a bad --limit', ['runs', 'list', '--limit', '0'], /at least 1/],
    ['a bad port', ['dev', '--api-port', 'http'], /expected a port number/],
    ['a bad --api', ['runs', 'list', '--api', 'not a url'], /must be a URL/],
    ['a group without its subcommand', ['runs'], /Usage: sluice runs/],
  ])('%s', async (_what, argv, message) => {
    const result = await cli(argv, env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('help and version', () => {
  test('--help lists the commands and the exit codes, and exits 0', async () => {
    const result = await cli(['--help'], env);
    expect(result.code).toBe(0);
    for (const command of ['run', 'runs', 'logs', 'compile', 'dev']) expect(result.stdout).toContain(`  ${command} `);
    expect(result.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*\n\s+2 .*\n\s+3 .*sluice dev/);
  });

  test('--version prints the package version', async () => {
    const result = await cli(['--version'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('pipeline files', () => {
  test('a compiled spec is sent as it is', () => {
    const payload = loadPipelineFile(file('ok.yaml'));
    expect(payload).toMatchObject({ pipelineInfo: { name: 'add-numbers' }, schemaVersion: '2.1.0' });
  });

  test('a second YAML document (platform spec) is sent in KFP’s wrapper', () => {
    const payload = loadPipelineFile(file('two-docs.yaml'));
    expect(payload).toMatchObject({ pipeline_spec: { pipelineInfo: { name: 'add-numbers' } }, platform_spec: { platforms: { kubernetes: {} } } });
  });

  test('errors are UsageErrors that name the file', () => {
    expect(() => loadPipelineFile(file('broken.yaml'))).toThrow(UsageError);
    expect(() => loadPipelineFile(file('broken.yaml'))).toThrow(/broken\.yaml/);
  });
});

describe('bin/sluice.js', () => {
  test('without a build it says how to make one and exits 2', () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-bin-'));
    mkdirSync(join(root, 'bin'));
    copyFileSync(resolve(__dirname, '../../bin/sluice.js'), join(root, 'bin', 'sluice.js'));
    const result = spawnSync(process.execPath, [join(root, 'bin', 'sluice.js'), '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/npm run setup/);
  });
});

describe('SDK modules (sluice compile)', () => {
  const sdk = JSON.stringify(resolve(__dirname, '../../sdk'));
  const write = (name: string, source: string) => {
    writeFileSync(file(name), source);
    return file(name);
  };
  const hello = () =>
    write(
      'hello.ts',
      `import { Param, containerComponent, pipeline } from ${sdk};
const echo = containerComponent({ name: 'echo', image: 'alpine', inputs: { msg: Param.string() }, command: () => ['echo'], args: (io) => [io.inputs.msg] });
export default pipeline({ name: 'hello', inputs: { msg: Param.string('hi') } }, ({ msg }) => { echo({ msg }); });
`,
    );

  test('compiles the default export to KFP-style YAML on stdout', async () => {
    const result = await cli(['compile', hello()], env);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('# PIPELINE DEFINITION\n# Name: hello\n')).toBe(true);
    expect(result.stdout).toContain('comp-echo:');
  });

  test('-o writes the file', async () => {
    const result = await cli(['compile', hello(), '-o', file('hello.yaml')], env);
    expect(result.code).toBe(0);
    expect(readFileSync(file('hello.yaml'), 'utf8')).toContain('schemaVersion: 2.1.0');
  });

  test.each([
    ['no default export', 'export const x = 1;\n', /not a pipeline/],
    ['a module that throws', 'throw new Error("kaboom");\n', /cannot load the module: kaboom/],
    ['a pipeline the SDK rejects', `import { pipeline } from ${sdk};\nexport default pipeline({ name: 'empty' }, () => {});\n`, /at least one task/],
  ])('%s exits 2', async (_what, source, message) => {
    const result = await cli(['compile', write(`bad-${Math.random().toString(36).slice(2)}.ts`, source)], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
