import type { ArtifactSpec } from '../ir/types';

/** KFP's generic artifact type: an input of this type accepts any artifact, and its outputs feed any input. */
export const GENERIC_ARTIFACT = 'system.Artifact';

/** The artifact schemas a task input of schema `S` accepts (KFP's `check_artifact_type_compatibility`). */
export type AcceptedSchema<S extends string> = S extends typeof GENERIC_ARTIFACT ? string : S | typeof GENERIC_ARTIFACT;

/** A declared artifact input or output. Outputs must not be optional. */
export class ArtifactDecl<S extends string = string, IsOptional extends boolean = boolean> {
  readonly kind = 'artifact';
  /** Every `system.*` type is at schema version 0.0.1 in KFP 2.x. */
  readonly schemaVersion = '0.0.1';

  constructor(
    readonly schemaTitle: S,
    readonly isOptional: IsOptional,
  ) {}

  /** The same declaration as an optional input (the step sees the input absent). */
  optional(): ArtifactDecl<S, true> {
    return new ArtifactDecl(this.schemaTitle, true);
  }
}

function artifactType<S extends string>(schemaTitle: S): ArtifactDecl<S, false> {
  return new ArtifactDecl(schemaTitle, false);
}

export const Artifact = artifactType(GENERIC_ARTIFACT);
export const Dataset = artifactType('system.Dataset');
export const Model = artifactType('system.Model');
export const Metrics = artifactType('system.Metrics');
export const ClassificationMetrics = artifactType('system.ClassificationMetrics');
export const HTML = artifactType('system.HTML');
export const Markdown = artifactType('system.Markdown');

/** Whether an artifact of schema `given` may feed an input declared with schema `expected`. */
export function isAcceptedSchema(expected: string, given: string): boolean {
  return expected === given || expected === GENERIC_ARTIFACT || given === GENERIC_ARTIFACT;
}

/** The IR `ArtifactSpec` of a declaration, as KFP writes it (`isOptional` only when true). */
export function toArtifactSpec(decl: ArtifactDecl): ArtifactSpec {
  return {
    artifactType: { schemaTitle: decl.schemaTitle, schemaVersion: decl.schemaVersion },
    ...(decl.isOptional && { isOptional: true }),
  };
}
