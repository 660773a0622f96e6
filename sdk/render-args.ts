import type { InputDecls } from './declarations';
import { SdkError, type SdkErrorContext } from './errors';
import { ParamDecl } from './parameter-types';
import { ConcatArg, IfPresentArg, InputParameterPlaceholder, type CommandArg } from './placeholders';
import { pythonJsonDumps, type JsonStruct } from './python-json';

/**
 * Renders a container's `command` or `args` as KFP's compiler writes them: strings and simple
 * placeholders as they are, `IfPresent` and `Concat` as JSON strings.
 * @throws SdkError when an element is not a command-line element, names an input the component
 * does not declare, or nests a list-valued `IfPresent` inside a `Concat` (KFP rejects that too).
 */
export function renderCommandLine(elements: unknown, inputs: InputDecls, context: SdkErrorContext): string[] {
  if (!Array.isArray(elements)) throw new SdkError('command and args must return an array of arguments', context);
  return elements.map((element: unknown) => {
    const struct = toStruct(element, { inputs, context, insideConcat: false });
    return typeof struct === 'string' ? struct : pythonJsonDumps(struct);
  });
}

interface Scope {
  inputs: InputDecls;
  context: SdkErrorContext;
  insideConcat: boolean;
}

function toStruct(element: unknown, scope: Scope): JsonStruct {
  if (typeof element === 'string') return element;
  if (element instanceof InputParameterPlaceholder) {
    requireInput(element.inputName, scope, true);
    return element.toString();
  }
  if (element instanceof ConcatArg) {
    return { Concat: element.parts.map((part) => toStruct(part, { ...scope, insideConcat: true })) };
  }
  if (element instanceof IfPresentArg) {
    requireInput(element.inputName, scope, false);
    if (scope.insideConcat && (Array.isArray(element.then) || Array.isArray(element.otherwise))) {
      throw new SdkError('io.ifPresent inside io.concat must have single-element then/else branches', scope.context);
    }
    const struct: Record<string, JsonStruct> = { InputName: element.inputName, Then: branch(element.then, scope) };
    // Like KFP, an empty `else` is left out rather than written as an empty branch.
    if (isPresent(element.otherwise)) struct.Else = branch(element.otherwise, scope);
    return { IfPresent: struct };
  }
  throw new SdkError(
    `${describe(element)} is not a command-line argument; use a string, io.inputs.<parameter>, ` +
      'an artifact or output .path/.uri/.outputFile, io.ifPresent(...) or io.concat(...)',
    scope.context,
  );
}

function branch(value: CommandArg | CommandArg[], scope: Scope): JsonStruct {
  return Array.isArray(value) ? value.map((v) => toStruct(v, scope)) : toStruct(value, scope);
}

function isPresent(value: CommandArg | CommandArg[] | undefined): value is CommandArg | CommandArg[] {
  return value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0);
}

function requireInput(name: string, scope: Scope, mustBeParameter: boolean): void {
  const decl = scope.inputs[name];
  if (!decl) throw new SdkError(`the command line refers to '${name}', which is not an input of this component`, scope.context);
  if (mustBeParameter && !(decl instanceof ParamDecl)) {
    throw new SdkError(`'${name}' is an artifact input; use its .path or .uri on the command line`, scope.context);
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === 'string' ? `a placeholder of kind '${kind}'` : `an object (${value.constructor?.name ?? 'Object'})`;
}
