import { ArtifactDecl } from './artifact-types';
import { SdkError, type SdkErrorContext } from './errors';
import { ParamDecl, parameterValueProblem, type ParameterTypeName } from './parameter-types';

export type InputDecls = Record<string, ParamDecl | ArtifactDecl>;
/** Outputs have no defaults and are never optional: the step must produce them. */
export type OutputDecls = Record<string, ParamDecl<ParameterTypeName, false> | ArtifactDecl<string, false>>;
/** A pipeline's own inputs are parameters (artifacts enter a run through importers, not inputs). */
export type PipelineInputDecls = Record<string, ParamDecl>;
/** The declarations of a component or pipeline that declares none. */
export type NoDecls = Record<never, never>;

/** KFP names inputs and outputs as Python identifiers; placeholders quote them inside `['…']`. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks declarations the type checker cannot (or could not, when types are erased): names,
 * declaration objects, default values, and that outputs are not optional.
 * @throws SdkError naming the offending input or output.
 */
export function checkDecls(
  decls: Record<string, unknown>,
  role: 'input' | 'output' | 'pipeline input',
  context: SdkErrorContext,
): void {
  for (const [name, decl] of Object.entries(decls)) {
    const where = { ...context, [role === 'output' ? 'output' : 'input']: name };
    if (!NAME.test(name)) throw new SdkError(`${role} names must be identifiers (letters, digits, _)`, where);
    const isParam = decl instanceof ParamDecl;
    if (!isParam && !(decl instanceof ArtifactDecl)) {
      throw new SdkError(`${role} must be declared with Param.*() or an artifact type such as Dataset`, where);
    }
    if (role === 'pipeline input' && !isParam) throw new SdkError('pipeline inputs must be parameters', where);
    if (role === 'output' && decl.isOptional) throw new SdkError('outputs cannot be optional or have defaults', where);
    if (isParam && decl.defaultValue !== undefined) {
      const problem = parameterValueProblem(decl.parameterType, decl.defaultValue);
      if (problem) throw new SdkError(`default: ${problem}`, where);
    }
  }
}
