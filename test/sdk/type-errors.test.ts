/**
 * Type-level errors: type-checks type-errors.fixture.ts with its `@ts-expect-error TSnnnn`
 * markers removed, and asserts that exactly the marked lines fail, each with the marked code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../config/config';

const FIXTURE = join(__dirname, 'type-errors.fixture.ts');
const MARKER = /\/\/ @ts-expect-error (TS\d+) (.*)$/;

interface Expectation {
  line: number;
  code: string;
  reason: string;
}

function typeCheck(): { expected: Expectation[]; actual: Map<number, string[]> } {
  const source = readFileSync(FIXTURE, 'utf8');
  const expected: Expectation[] = [];
  const unmarked = source
    .split('\n')
    .map((text, index) => {
      const match = MARKER.exec(text);
      if (!match) return text;
      expected.push({ line: index + 2, code: match[1], reason: match[2] });
      return text.replace('@ts-expect-error', 'expected error:');
    })
    .join('\n');

  const config = ts.getParsedCommandLineOfConfigFile(join(PROJECT_ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  })!;
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (path) => (path === FIXTURE ? unmarked : readFile(path));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (path, language, onError) =>
    path === FIXTURE ? ts.createSourceFile(path, unmarked, language) : getSourceFile(path, language, onError);
  const program = ts.createProgram([FIXTURE], { ...config.options, noEmit: true }, host);

  const actual = new Map<number, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    if (diagnostic.file?.fileName !== FIXTURE || diagnostic.start === undefined) {
      throw new Error(`unexpected diagnostic outside the fixture: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    }
    const line = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1;
    actual.set(line, [...(actual.get(line) ?? []), `TS${diagnostic.code}`]);
  }
  return { expected, actual };
}

const { expected, actual } = typeCheck();

test('the fixture marks the mistakes it means to test', () => {
  expect(expected.length).toBeGreaterThanOrEqual(20);
});

test.each(expected)('line $line fails with $code: $reason', ({ line, code }) => {
  expect(actual.get(line)).toContain(code);
});

test('unmarked lines type-check', () => {
  const marked = new Set(expected.map((e) => e.line));
  expect([...actual.keys()].filter((line) => !marked.has(line))).toEqual([]);
});
