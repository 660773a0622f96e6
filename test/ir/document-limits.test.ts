import { documentProblem, formatBytes, joinKey } from '../../ir/document-limits';
import { SpecValidationError } from '../../ir/errors';
import { parsePipelineDocument } from '../../ir/parse';
import { pathSegmentProblem } from '../../ir/validate';
import { typeMismatch, parameterFromText } from '../../ir/parameter-values';

/** Nested lists, `depth` deep, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

describe('documentProblem', () => {
  test.each([
    ['a plain spec-like value', { a: { b: [1, 'x', null, true] } }, undefined],
    ['100 levels', nested(100), undefined],
    ['101 levels', nested(101), 'nested more than 100 levels deep'],
    ['a million levels, without overflowing the stack', nested(1_000_000), 'nested more than 100 levels deep'],
    ['a NUL in a string', { a: ['ok', 'b\u0000'] }, 'contains a NUL character'],
    ['a NUL in a key', { 'k\u0000': 1 }, 'the key contains a NUL character'],
  ])('%s', (_what, value, message) => {
    expect(documentProblem(value, { maxDepth: 100 })?.message).toBe(message);
  });

  test('paths name where the problem is, quoting keys that are not plain names', () => {
    expect(documentProblem({ a: { 'b c': ['x', 'y\u0000'] } }, { maxDepth: 10 })?.path).toBe('a["b c"][1]');
    expect(joinKey('', 'k'.repeat(100))).toBe(`["${'k'.repeat(61)}..."]`);
  });

  test('size counts a shared value once per use, and stops at the limit', () => {
    const big = 'x'.repeat(1000);
    const shared = Array(100).fill(big); // one string, a hundred uses: 100 KB as JSON
    expect(documentProblem(shared, { maxDepth: 10, maxBytes: 200_000 })).toBeUndefined();
    expect(documentProblem(shared, { maxDepth: 10, maxBytes: 50_000 })).toEqual({ path: '', message: expect.stringContaining('expands to more than 48.83 KiB') });
  });

  test('formatBytes', () => {
    expect([formatBytes(100), formatBytes(1024), formatBytes(32 * 1024 * 1024), formatBytes(1536)]).toEqual(['100 bytes', '1 KiB', '32 MiB', '1.5 KiB']);
  });
});

describe('parsePipelineDocument refuses hostile YAML before composing it', () => {
  const issuesOf = (text: string, maxBytes?: number) => {
    try {
      parsePipelineDocument(text, { maxBytes });
    } catch (err) {
      if (err instanceof SpecValidationError) return err.issues;
      throw err;
    }
    throw new Error('expected a refusal');
  };

  test.each([
    ['flow nesting 100,000 deep', '['.repeat(100_000) + ']'.repeat(100_000), 'nested more than 100 levels deep'],
    ['block nesting 500 deep', Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'), 'nested more than 100 levels deep'],
    ['an alias to no anchor', 'pipelineInfo: *x\n', 'Unresolved alias'],
    ['a billion laughs', ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)].join('\n'), 'aliases repeat too much'],
  ])('%s', (_what, text, message) => {
    expect(issuesOf(text)).toEqual([{ path: 'document', message: expect.stringContaining(message) }]);
  });

  test('aliases that expand a small file past the size limit', () => {
    const text = `pipelineInfo: {name: p, description: &big "${'x'.repeat(10_000)}"}\nmany: [${Array(99).fill('*big').join(', ')}]\n`;
    expect(text.length).toBeLessThan(20_000);
    expect(issuesOf(text, 100_000)).toEqual([{ path: 'document', message: expect.stringContaining('expands to more than') }]);
  });

  test('a NUL escape is named where it is', () => {
    expect(issuesOf('pipelineInfo:\n  name: "a\\0"\n')).toEqual([{ path: 'pipelineInfo.name', message: 'contains a NUL character' }]);
  });
});

test.each([
  ['train', undefined],
  ['for-loop-2', undefined],
  ['pipelinechannel--x', undefined],
  ['', 'must not be empty'],
  ['.', 'must not be "."'],
  ['..', 'must not be ".."'],
  ['../x', 'must not contain "/"'],
  ['a\\b', 'must not contain "/", "\\"'],
  ['a\u0000', 'NUL'],
  ['é'.repeat(128), 'longer than 255 bytes'],
])('path segment %j', (name, problem) => {
  if (problem === undefined) expect(pathSegmentProblem(name)).toBeUndefined();
  else expect(pathSegmentProblem(name)).toContain(problem);
});

test.each([
  [Number.MAX_SAFE_INTEGER, undefined],
  [-Number.MAX_SAFE_INTEGER, undefined],
  [2 ** 53, '2^53 - 1'],
  [2 ** 63, '2^53 - 1'],
  [1e300, '2^53 - 1'],
  [1.5, 'expected an integer'],
])('NUMBER_INTEGER %d', (value, problem) => {
  if (problem === undefined) expect(typeMismatch(value, 'NUMBER_INTEGER')).toBeUndefined();
  else expect(typeMismatch(value, 'NUMBER_INTEGER')).toContain(problem);
});

test('an integer as text beyond 2^53 - 1 is refused, not rounded', () => {
  expect(parameterFromText('9007199254740991', 'NUMBER_INTEGER')).toBe(9007199254740991);
  expect(() => parameterFromText('9223372036854775807', 'NUMBER_INTEGER')).toThrow('9223372036854775807 is an integer beyond ±9007199254740991');
});
