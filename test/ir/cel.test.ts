import { CelError, evaluateCondition, selectParameter } from '../../ir/cel';
import type { ParameterValue } from '../../ir/types';

/** `inputs.parameter_values['pipelinechannel--<name>']`, as KFP's compiler writes a channel reference. */
const ch = (name: string) => `inputs.parameter_values['pipelinechannel--${name}']`;

type Values = Record<string, ParameterValue>;
/** Parameter values keyed as the condition reads them. */
const pv = (values: Values): Values =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [`pipelinechannel--${k}`, v]));

describe('evaluateCondition', () => {
  // Every condition form in the corpus and in KFP's compiled SDK test pipelines, with values that
  // make it true and values that make it false. Integer outputs arrive as JSON numbers (doubles).
  const cases: Array<[string, string, Values, Values]> = [
    ['dsl.If on a string output', `${ch('flip-coin-Output')} == 'heads'`, { 'flip-coin-Output': 'heads' }, { 'flip-coin-Output': 'tails' }],
    ['!= on a string output', `${ch('flip-coin-op-Output')} != 'no-such-result'`, { 'flip-coin-op-Output': 'heads' }, { 'flip-coin-op-Output': 'no-such-result' }],
    ['two channels compared', `${ch('flip-coin-op-2-Output')} == ${ch('flip-coin-op-3-Output')}`, { 'flip-coin-op-2-Output': 'heads', 'flip-coin-op-3-Output': 'heads' }, { 'flip-coin-op-2-Output': 'heads', 'flip-coin-op-3-Output': 'tails' }],
    ['int() cast, >', `int(${ch('random-num-Output')}) > 5`, { 'random-num-Output': 6 }, { 'random-num-Output': 5 }],
    ['int() cast, <=', `int(${ch('random-num-Output')}) <= 5`, { 'random-num-Output': 5 }, { 'random-num-Output': 6 }],
    ['int() cast, >= between two channels', `int(${ch('loop-item-param-1')}) >= int(${ch('threshold')})`, { 'loop-item-param-1': 2, threshold: 2 }, { 'loop-item-param-1': 1, threshold: 2 }],
    ['int() cast, == literal', `int(${ch('threshold')}) == 2`, { threshold: 2 }, { threshold: 3 }],
    ['int() truncates a double toward zero', `int(${ch('n')}) == 2`, { n: 2.9 }, { n: 3.1 }],
    ['int() of a numeric string', `int(${ch('n')}) > 5`, { n: '7' }, { n: '-7' }],
    ['bool channel == true', `${ch('add_drumroll')} == true`, { add_drumroll: true }, { add_drumroll: false }],
    ['string literal from a loop item', `${ch('loop-item-param-11')} == '1'`, { 'loop-item-param-11': '1' }, { 'loop-item-param-11': '2' }],
    ['Else: the If negated', `!(${ch('flip-coin-Output')} == 'heads')`, { 'flip-coin-Output': 'tails' }, { 'flip-coin-Output': 'heads' }],
    ['Else on a bool', `!(${ch('pick_a')} == true)`, { pick_a: false }, { pick_a: true }],
    ['Elif: earlier branches negated, then its own', `!(${ch('die-Output')} == 'heads') && ${ch('die-Output')} == 'tails'`, { 'die-Output': 'tails' }, { 'die-Output': 'heads' }],
    ['Else after If/Elif', `!(${ch('die-Output')} == 'heads') && !(${ch('die-Output')} == 'tails')`, { 'die-Output': 'draw' }, { 'die-Output': 'tails' }],
    ['Elif on ints', `!(int(${ch('int-Output')}) < 5000) && int(${ch('int-Output')}) > 5000`, { 'int-Output': 5001 }, { 'int-Output': 4999 }],
    ['Else on ints', `!(int(${ch('int-Output')}) < 5000) && !(int(${ch('int-Output')}) > 5000)`, { 'int-Output': 5000 }, { 'int-Output': 5001 }],
    ['nested If: outer and inner conjoined', `${ch('flip-coin-output')} == 'heads' && int(${ch('random-num-output')}) > 5`, { 'flip-coin-output': 'heads', 'random-num-output': 9 }, { 'flip-coin-output': 'heads', 'random-num-output': 1 }],
    ['double channel vs double literal', `${ch('accuracy')} < 0.5`, { accuracy: 0.25 }, { accuracy: 0.75 }],
    ['int channel vs double literal: double(int(...))', `double(int(${ch('n')})) < 0.5`, { n: 0 }, { n: 1 }],
    ['double() cast', `double(${ch('x')}) >= 0.5`, { x: 0.5 }, { x: 0.4999 }],
    ['double() of a numeric string', `double(${ch('x')}) > 1.0`, { x: '1e3' }, { x: '0.5' }],
    ['string() of a number is cel-go %g', `string(${ch('n')}) == '5'`, { n: 5 }, { n: 5.5 }],
    ['string() uses exponent form from 1e6', `string(${ch('n')}) == '1.234567e+06'`, { n: 1234567 }, { n: 123456 }],
    ['string() uses exponent form below 1e-4', `string(${ch('n')}) == '1e-05'`, { n: 0.00001 }, { n: 0.0001 }],
    ['string() of a bool', `string(${ch('b')}) == 'true'`, { b: true }, { b: false }],
    ['parseJson with field access', `parseJson(${ch('s')}).a == 'x'`, { s: '{"a": "x"}' }, { s: '{"a": "y"}' }],
    ['parseJson with index access', `int(parseJson(${ch('s')})[1]) == 2`, { s: '[1, 2]' }, { s: '[2, 1]' }],
    ['field and index access on a struct value', `${ch('cfg')}.layers[0].units == 64.0`, { cfg: { layers: [{ units: 64 }] } }, { cfg: { layers: [{ units: 32 }] } }],
    ['key lookup on a struct value', `${ch('cfg')}['lr'] < 0.1`, { cfg: { lr: 0.01 } }, { cfg: { lr: 0.5 } }],
    ['`in` on a struct value', `'lr' in ${ch('cfg')}`, { cfg: { lr: 0.01 } }, { cfg: { epochs: 3 } }],
    ['size() of a list value', `size(${ch('items')}) == 2`, { items: ['a', 'b'] }, { items: ['a'] }],
    ['comparison with null', `${ch('opt')} == null`, { opt: null }, { opt: 'set' }],
    ['|| and short-circuit over an error', `${ch('s')} == 'a' || int(${ch('s')}) > 0`, { s: 'a' }, { s: '-1' }],
  ];

  test.each(cases)('%s', (_name, expression, whenTrue, whenFalse) => {
    expect(evaluateCondition(expression, pv(whenTrue))).toBe(true);
    expect(evaluateCondition(expression, pv(whenFalse))).toBe(false);
  });

  test('a JSON number is a double that equals an int literal numerically, as cel-go does', () => {
    expect(evaluateCondition("inputs.parameter_values['n'] == 1", { n: 1 })).toBe(true);
    expect(evaluateCondition("inputs.parameter_values['n'] > 1", { n: 1.5 })).toBe(true);
    expect(evaluateCondition("inputs.parameter_values['n'] == 1", { n: 1.5 })).toBe(false);
  });

  test('a string never equals a number, as in cel-go', () => {
    expect(evaluateCondition("inputs.parameter_values['s'] == 5", { s: '5' })).toBe(false);
  });

  test('the same expression evaluates against each new set of values', () => {
    const expression = "int(inputs.parameter_values['i']) % 2 == 0";
    expect([0, 1, 2, 3].map((i) => evaluateCondition(expression, { i }))).toEqual([true, false, true, false]);
  });

  const errors: Array<[string, string, Values, RegExp]> = [
    ['bad syntax', "inputs.parameter_values['x'] ==", { x: 'a' }, /found end of input|expecting/],
    ['an unknown variable', "flip == 'heads'", {}, /undeclared reference to 'flip'/],
    ['an unknown variable on a branch not taken', "true || flip == 'heads'", {}, /undeclared reference to 'flip'/],
    ['a selector variable in a condition', "string_value == 'x'", {}, /undeclared reference to 'string_value'/],
    ['a missing parameter', "inputs.parameter_values['absent'] == 'a'", { x: 'a' }, /not found: absent/],
    ['a non-boolean result', "inputs.parameter_values['x']", { x: 'heads' }, /must evaluate to a bool, got string/],
    ['ordering a string against a number', "inputs.parameter_values['x'] > 5", { x: 'heads' }, /no matching overload/],
    ['int() of a non-integer string (Go ParseInt)', "int(inputs.parameter_values['x']) > 5", { x: '5.5' }, /ParseInt.*invalid syntax/],
    ['int() of an empty string', "int(inputs.parameter_values['x']) > 5", { x: '' }, /ParseInt.*invalid syntax/],
    ['int() of a padded string', "int(inputs.parameter_values['x']) > 5", { x: ' 5' }, /ParseInt.*invalid syntax/],
    ['int() of a double out of range', "int(inputs.parameter_values['x']) > 5", { x: 1e20 }, /overflow/],
    ['double() of a non-number string (Go ParseFloat)', "double(inputs.parameter_values['x']) > 5.0", { x: 'abc' }, /ParseFloat.*invalid syntax/],
    ['parseJson of invalid JSON', "parseJson(inputs.parameter_values['x']).a == 1", { x: '{"a":' }, /JSON/],
    ['parseJson of a non-string', "parseJson(inputs.parameter_values['x']).a == 1", { x: 1 }, /no matching overload/],
  ];

  test.each(errors)('CelError: %s', (_name, expression, values, message) => {
    let thrown: unknown;
    try {
      evaluateCondition(expression, values);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CelError);
    expect((thrown as CelError).expression).toBe(expression);
    expect((thrown as CelError).message).toMatch(message);
    expect((thrown as CelError).message).toContain(expression);
  });
});

test('an expression is checked against the variables of the kind it is used as', () => {
  expect(selectParameter('x', "string_value == 'x'")).toBe(true);
  expect(() => evaluateCondition("string_value == 'x'", {})).toThrow(/undeclared reference to 'string_value'/);
});

describe('selectParameter', () => {
  const cases: Array<[string, ParameterValue, string, ParameterValue]> = [
    // What KFP's compiler emits for a ParallelFor item's field.
    ['parseJson(string_value)[field] of a loop item', { A_a: 'heads', B_b: 1 }, 'parseJson(string_value)["A_a"]', 'heads'],
    ['a numeric field stays a number', { A_a: 'heads', B_b: 1 }, 'parseJson(string_value)["B_b"]', 1],
    ['a nested struct field', { a: { b: [1, 2] } }, 'parseJson(string_value)["a"]', { b: [1, 2] }],
    ['a list element', [{ p: 'x' }, { p: 'y' }], 'parseJson(string_value)[1]["p"]', 'y'],
    ['a JSON-encoded string value', '{"a": [true, null]}', 'parseJson(string_value).a', [true, null]],
    ['string_value of a string', 'heads', 'string_value', 'heads'],
    ['string_value of an integral number (Go FormatFloat f)', 5, 'string_value', '5'],
    ['string_value of a small number has no exponent', 1e-7, 'string_value', '0.0000001'],
    ['string_value of a large number has no exponent', 1e21, 'string_value', '1000000000000000000000'],
    ['string_value of a bool', false, 'string_value', 'false'],
    ['string_value of null', null, 'string_value', ''],
    ['string_value of a struct: compact, keys sorted, HTML escaped like Go', { b: '<i>', a: 1.5 }, 'string_value', '{"a":1.5,"b":"\\u003ci\\u003e"}'],
    ['string_value of a list', [1, 'two', { c: null }], 'string_value', '[1,"two",{"c":null}]'],
    ['number_value', 2.5, 'number_value * 2.0', 5],
    ['an int result becomes a number', 7.9, 'int(number_value)', 7],
    ['a uint result becomes a number', 3, 'uint(number_value)', 3],
    ['bool_value', true, '!bool_value', false],
    ['struct_value field', { lr: 0.01, layers: [64, 32] }, 'struct_value.layers', [64, 32]],
    ['struct_value key', { 'a-b': 'x' }, "struct_value['a-b']", 'x'],
    ['struct_value as a whole', { a: { b: 1 } }, 'struct_value', { a: { b: 1 } }],
    ['list_value index', ['x', 'y'], 'list_value[1]', 'y'],
    ['list_value through a macro', [1, 2, 3], 'list_value.filter(x, x > 1.0)', [2, 3]],
    ['null_value', null, 'null_value', null],
    ['a map built in CEL', 'x', "{'k': string_value, 'n': 1}", { k: 'x', n: 1 }],
  ];

  test.each(cases)('%s', (_name, value, selector, expected) => {
    expect(selectParameter(value, selector)).toEqual(expected);
  });

  test('a "__proto__" key in a result is an own key, not a prototype', () => {
    const result = selectParameter('{"__proto__": {"polluted": true}}', 'parseJson(string_value)') as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(['__proto__']);
  });

  const errors: Array<[string, ParameterValue, string, RegExp]> = [
    ['bad syntax', 'x', 'parseJson(string_value', /expecting|found/],
    ['an unknown variable', 'x', 'value', /undeclared reference to 'value'/],
    ['a condition variable in a selector', 'x', 'inputs', /undeclared reference to 'inputs'/],
    ['a field the value does not set', 'x', 'struct_value.a', /unresolved attribute/],
    ['a missing key', { a: 1 }, 'parseJson(string_value)["b"]', /not found: b/],
    ['an index out of range', [1], 'list_value[3]', /out of bounds/],
    ['parseJson of a non-JSON string', 'heads', 'parseJson(string_value)', /JSON/],
    ['a bytes result has no JSON form', 'x', 'bytes(string_value)', /bytes has no JSON form/],
    ['an int beyond 2^53 does not fit a JSON number', 'x', '9007199254740993', /does not fit a JSON number/],
    ['a map with int keys', 'x', '{1: 2}', /int key/],
    ['an unknown function', 'x', 'lower(string_value)', /unbound function: lower/],
    ['a non-finite double', 'x', '1.0 / 0.0', /not a JSON number/],
  ];

  test.each(errors)('CelError: %s', (_name, value, selector, message) => {
    expect(() => selectParameter(value, selector)).toThrow(CelError);
    expect(() => selectParameter(value, selector)).toThrow(message);
  });
});
