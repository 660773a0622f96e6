import { SdkError } from './errors';

/**
 * A parameter input's value on the command line: `{{$.inputs.parameters['name']}}`. It may be
 * used as an argument on its own or inside a template string (`--lr=${io.inputs.lr}`).
 */
export class InputParameterPlaceholder {
  readonly kind = 'inputParameter';
  constructor(readonly inputName: string) {}

  toString(): string {
    return `{{$.inputs.parameters['${this.inputName}']}}`;
  }
}

/** An artifact input: the step reads its payload at `.path` (local or mounted) or addresses it by `.uri`. */
export class InputArtifactPlaceholder {
  readonly kind = 'inputArtifact';
  readonly path: string;
  readonly uri: string;
  constructor(readonly inputName: string) {
    this.path = `{{$.inputs.artifacts['${inputName}'].path}}`;
    this.uri = `{{$.inputs.artifacts['${inputName}'].uri}}`;
  }
}

/** A parameter output: the step writes the value (as text, JSON for lists and structs) to `.outputFile`. */
export class OutputParameterPlaceholder {
  readonly kind = 'outputParameter';
  readonly outputFile: string;
  constructor(readonly outputName: string) {
    this.outputFile = `{{$.outputs.parameters['${outputName}'].output_file}}`;
  }
}

/**
 * An artifact output: the step writes its payload at `.path`, creating parent directories first
 * (KFP leaves that to the step). `.uri` is where the payload will be stored.
 */
export class OutputArtifactPlaceholder {
  readonly kind = 'outputArtifact';
  readonly path: string;
  readonly uri: string;
  constructor(readonly outputName: string) {
    this.path = `{{$.outputs.artifacts['${outputName}'].path}}`;
    this.uri = `{{$.outputs.artifacts['${outputName}'].uri}}`;
  }
}

/** KFP's `IfPresent`: `then` when the named input was supplied to the task, else `else`. */
export class IfPresentArg {
  readonly kind = 'ifPresent';
  constructor(
    readonly inputName: string,
    readonly then: CommandArg | CommandArg[],
    readonly otherwise?: CommandArg | CommandArg[],
  ) {}

  /** KFP refuses structured arguments inside f-strings; so do we, rather than render `[object]`. */
  toString(): string {
    throw new SdkError('io.ifPresent(...) is a whole argument; it cannot be embedded in a string (use io.concat)');
  }
}

/** KFP's `Concat`: the parts joined into one argument, resolved at run time. */
export class ConcatArg {
  readonly kind = 'concat';
  constructor(readonly parts: CommandArg[]) {}

  toString(): string {
    throw new SdkError('io.concat(...) is a whole argument; it cannot be embedded in a string');
  }
}

/** One element of a container's `command` or `args`. */
export type CommandArg = string | InputParameterPlaceholder | IfPresentArg | ConcatArg;

/**
 * KFP's run-level placeholders. They are plain strings, so they serve both as command-line
 * arguments and as constant task inputs (the backend resolves them in either place).
 */
export const RuntimePlaceholders = Object.freeze({
  pipelineJobName: '{{$.pipeline_job_name}}',
  pipelineJobResourceName: '{{$.pipeline_job_resource_name}}',
  pipelineJobId: '{{$.pipeline_job_uuid}}',
  pipelineTaskName: '{{$.pipeline_task_name}}',
  pipelineTaskId: '{{$.pipeline_task_uuid}}',
  pipelineRoot: '{{$.pipeline_root}}',
} as const);
