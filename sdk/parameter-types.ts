import type { ParameterSpec, ParameterType, ParameterValue } from '../ir/types';

/** The parameter types a component or pipeline can declare (KFP's, less the internal `TASK_FINAL_STATUS`). */
export type ParameterTypeName = Exclude<ParameterType, 'TASK_FINAL_STATUS'>;

/** The TypeScript value a constant of each parameter type must be. */
export interface ParameterValueOf {
  STRING: string;
  NUMBER_INTEGER: number;
  NUMBER_DOUBLE: number;
  BOOLEAN: boolean;
  LIST: ParameterValue[];
  STRUCT: { [key: string]: ParameterValue };
}

/**
 * A declared parameter input or output. `IsOptional` is true when the input has a default or was
 * marked `.optional()`; a task may then leave it out. Outputs must not be optional.
 */
export class ParamDecl<T extends ParameterTypeName = ParameterTypeName, IsOptional extends boolean = boolean> {
  readonly kind = 'parameter';

  constructor(
    readonly parameterType: T,
    readonly isOptional: IsOptional,
    readonly defaultValue?: ParameterValueOf[T],
  ) {}

  /** The same declaration, optional without a default (the step sees the input absent). */
  optional(): ParamDecl<T, true> {
    return new ParamDecl(this.parameterType, true, this.defaultValue);
  }
}

/** `Param.x()` declares a required input (or an output); `Param.x(value)` an input with a default. */
export interface ParamFactory<T extends ParameterTypeName> {
  (): ParamDecl<T, false>;
  (defaultValue: ParameterValueOf[T]): ParamDecl<T, true>;
}

function factory<T extends ParameterTypeName>(parameterType: T): ParamFactory<T> {
  return ((defaultValue?: ParameterValueOf[T]) =>
    defaultValue === undefined
      ? new ParamDecl(parameterType, false)
      : new ParamDecl(parameterType, true, defaultValue)) as ParamFactory<T>;
}

/** Parameter type declarations for component and pipeline inputs and outputs. */
export const Param = {
  string: factory('STRING'),
  int: factory('NUMBER_INTEGER'),
  double: factory('NUMBER_DOUBLE'),
  bool: factory('BOOLEAN'),
  list: factory('LIST'),
  struct: factory('STRUCT'),
} as const;

/**
 * Why `value` is not a valid constant of `type`, or undefined when it is. Values must be JSON
 * (protobuf `Value` cannot hold NaN, Infinity or undefined), and integers must be safe integers.
 */
export function parameterValueProblem(type: ParameterTypeName, value: unknown): string | undefined {
  const ok = ((): boolean => {
    switch (type) {
      case 'STRING':
        return typeof value === 'string';
      case 'NUMBER_INTEGER':
        return Number.isSafeInteger(value);
      case 'NUMBER_DOUBLE':
        return typeof value === 'number' && Number.isFinite(value);
      case 'BOOLEAN':
        return typeof value === 'boolean';
      case 'LIST':
        return Array.isArray(value) && isJson(value);
      case 'STRUCT':
        return isPlainObject(value) && isJson(value);
      default: {
        const unknownType: never = type;
        throw new Error(`unknown parameter type ${String(unknownType)}`);
      }
    }
  })();
  return ok ? undefined : `${JSON.stringify(value) ?? String(value)} is not a valid ${type} value`;
}

/** The IR `ParameterSpec` of an input declaration, as KFP writes it (`isOptional` only when true). */
export function toParameterSpec(decl: ParamDecl): ParameterSpec {
  return {
    parameterType: decl.parameterType,
    ...(decl.defaultValue !== undefined && { defaultValue: decl.defaultValue }),
    ...(decl.isOptional && { isOptional: true }),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  return isPlainObject(value) && Object.values(value).every(isJson);
}
