/**
 * KFP's CEL: task trigger conditions and input parameterExpressionSelectors, evaluated as KFP's
 * backend does (backend/src/v2/expression/expression.go, cel-go over protobuf `Value`s).
 *
 * The evaluator is @bufbuild/cel: pure ECMAScript with no Node built-ins and no clock or
 * randomness in the paths used here, so it runs inside Temporal's workflow sandbox. Values keep
 * cel-go's shapes: a JSON number is a CEL double (protobuf `number_value`), so `int(x)` truncates
 * it, `x == 1` compares numerically across double and int, and comparing a string with a number
 * is `false` for `==` and an error for `<`. Where the library's standard functions are laxer
 * than Go's, they are replaced below so that a malformed value fails as it does in KFP instead
 * of silently becoming a number.
 */
import {
  celEnv,
  celFunc,
  CelScalar,
  celType,
  isCelError,
  isCelList,
  isCelMap,
  isCelUint,
  parse,
  plan,
  type CelInput,
  type CelValue,
} from '@bufbuild/cel';
import { CelError } from './cel-error';
import type { ParameterValue } from './types';

const MIN_INT = -(2n ** 63n);
const MAX_INT = 2n ** 63n - 1n;

/**
 * Go's `strconv.FormatFloat(n, 'f' | 'g', -1, 64)`: the shortest digits that round-trip (which
 * `toExponential()` also yields), laid out as Go does. `'g'` is `fmt`'s `%g`, used by cel-go's
 * `string(double)`: exponent form when the exponent is below -4 or at least 6.
 */
function formatGoFloat(n: number, format: 'f' | 'g'): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  const [mantissa, exponent] = Math.abs(n).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(exponent);
  if (format === 'g' && (exp < -4 || exp >= 6)) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${fraction}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Go's `strconv.ParseInt(s, 10, 64)`, which cel-go's `int(string)` uses; `BigInt()` would also take '', ' 5' and '0x10'. */
function parseGoInt(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n < MIN_INT || n > MAX_INT) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/**
 * Go's `strconv.ParseFloat(s, 64)`, which cel-go's `double(string)` uses; `Number()` would turn
 * '' into 0 and 'abc' into NaN. Go's hexadecimal floats ('0x1p-2') are not accepted.
 */
function parseGoFloat(s: string): number {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/**
 * The functions for both kinds of expression. Those after `parseJson` replace the standard
 * overloads with the same signature.
 */
const env = celEnv({
  funcs: [
    // KFP's custom function: Go's json.Unmarshal into interface{}, so every number is a double.
    celFunc('parseJson', [CelScalar.STRING], CelScalar.DYN, (text) => JSON.parse(text) as CelInput),
    celFunc('int', [CelScalar.STRING], CelScalar.INT, parseGoInt),
    celFunc('double', [CelScalar.STRING], CelScalar.DOUBLE, parseGoFloat),
    celFunc('string', [CelScalar.DOUBLE], CelScalar.STRING, (n) => formatGoFloat(n, 'g')),
  ],
});

type Expr = ReturnType<typeof parse>['expr'];

/**
 * KFP's two environments, by the variables they declare: a condition sees the task's
 * ExecutorInput (Sluice binds `inputs.parameter_values`, the only part KFP's SDK reads), a
 * selector sees the fields of one protobuf `Value`. Each caches its planned programs by
 * expression text: a spec has a handful of distinct expressions, each evaluated once per task per
 * loop iteration, so parsing once matters and the maps stay small.
 */
interface Scope {
  declared: ReadonlySet<string>;
  programs: Map<string, ReturnType<typeof plan>>;
}
const conditionScope: Scope = { declared: new Set(['inputs']), programs: new Map() };
const selectorScope: Scope = {
  declared: new Set(['string_value', 'number_value', 'bool_value', 'struct_value', 'list_value', 'null_value']),
  programs: new Map(),
};

/**
 * The first identifier that is neither declared nor a comprehension variable in scope. cel-go
 * rejects such an expression when compiling it, whichever branch evaluation would take;
 * @bufbuild/cel has no public checker and would fail only if evaluation reached it.
 */
function undeclaredVariable(expr: Expr | undefined, declared: ReadonlySet<string>): string | undefined {
  const first = (exprs: Array<Expr | undefined>, names = declared) =>
    exprs.reduce<string | undefined>((found, e) => found ?? undeclaredVariable(e, names), undefined);
  const kind = expr?.exprKind;
  switch (kind?.case) {
    case 'identExpr':
      return declared.has(kind.value.name) ? undefined : kind.value.name;
    case 'selectExpr':
      return first([kind.value.operand]);
    case 'callExpr':
      return first([kind.value.target, ...kind.value.args]);
    case 'listExpr':
      return first(kind.value.elements);
    case 'structExpr':
      return first(kind.value.entries.flatMap((e) => [e.keyKind.case === 'mapKey' ? e.keyKind.value : undefined, e.value]));
    case 'comprehensionExpr': {
      const c = kind.value;
      const inner = new Set([...declared, c.iterVar, c.iterVar2, c.accuVar]);
      return first([c.iterRange, c.accuInit]) ?? first([c.loopCondition, c.loopStep, c.result], inner);
    }
    default:
      return undefined;
  }
}

/** Evaluates `expression` in `scope` with `bindings` as its variables; any failure becomes a CelError. */
function evaluate<T>(scope: Scope, expression: string, bindings: Record<string, CelInput>, convert: (value: CelValue) => T): T {
  try {
    let program = scope.programs.get(expression);
    if (program === undefined) {
      const parsed = parse(expression);
      const unknown = undeclaredVariable(parsed.expr, scope.declared);
      if (unknown !== undefined) throw new Error(`undeclared reference to '${unknown}'`);
      program = plan(env, parsed);
      scope.programs.set(expression, program);
    }
    const result = program(bindings);
    if (isCelError(result)) throw result;
    return convert(result);
  } catch (err) {
    throw new CelError(expression, err instanceof Error ? err.message : String(err));
  }
}

/** KFP trigger condition: true when the task should run. `parameterValues` are the task's resolved input parameters by input name. Non-boolean result → CelError. */
export function evaluateCondition(expression: string, parameterValues: Record<string, ParameterValue>): boolean {
  return evaluate(conditionScope, expression, { inputs: { parameter_values: parameterValues } }, (result) => {
    if (typeof result !== 'boolean') throw new Error(`a condition must evaluate to a bool, got ${celType(result).name}`);
    return result;
  });
}

/**
 * KFP parameterExpressionSelector applied to one resolved input value. As in KFP, the value is
 * bound as the one `google.protobuf.Value` field it sets (`number_value`, `bool_value`,
 * `struct_value`, `list_value`, `null_value`, `string_value`), and `string_value` is always
 * bound to its text: the string itself, Go's shortest decimal for a number, `true`/`false`,
 * compact JSON for a struct or list (as Go's json.Marshal writes it), '' for null.
 */
export function selectParameter(value: ParameterValue, selector: string): ParameterValue {
  return evaluate(selectorScope, selector, valueFields(value), toParameterValue);
}

function valueFields(value: ParameterValue): Record<string, CelInput> {
  if (value === null) return { null_value: null, string_value: '' };
  if (typeof value === 'string') return { string_value: value };
  if (typeof value === 'number') return { number_value: value, string_value: formatGoFloat(value, 'f') };
  if (typeof value === 'boolean') return { bool_value: value, string_value: String(value) };
  const text = goJson(value);
  return Array.isArray(value) ? { list_value: value, string_value: text } : { struct_value: value, string_value: text };
}

/** JSON text as Go's json.Marshal writes a protobuf Struct or ListValue: keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJson(value: ParameterValue): string {
  const sorted = JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
  return sorted.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A selector's result as the JSON value KFP stores (structpb.NewValue): ints and uints become
 * numbers, but only when exactly representable (KFP would round); bytes, timestamps, durations,
 * types, non-finite numbers and maps with non-string keys have no JSON form and are errors.
 */
function toParameterValue(value: CelValue): ParameterValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`result ${value} is not a JSON number`);
    return value;
  }
  if (typeof value === 'bigint' || isCelUint(value)) {
    const n = typeof value === 'bigint' ? value : value.value;
    if (n < BigInt(Number.MIN_SAFE_INTEGER) || n > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`result ${n} does not fit a JSON number exactly`);
    }
    return Number(n);
  }
  if (isCelList(value)) return Array.from(value, toParameterValue);
  if (isCelMap(value)) {
    return Object.fromEntries(
      Array.from(value, ([key, item]) => {
        if (typeof key !== 'string') throw new Error(`result map has a ${celType(key).name} key; JSON objects have string keys`);
        return [key, toParameterValue(item)];
      }),
    );
  }
  throw new Error(`result of type ${celType(value).name} has no JSON form`);
}
