/**
 * Errors raised by the pure spec code. Each class has one job, so the API can map it to a status
 * code and an activity can decide whether a retry could ever help (none of these can).
 */

/** One problem found in a document, located by a dotted path into it. */
export interface SpecIssue {
  /** Where the problem is, e.g. `root.dag.tasks.train.inputs.parameters.lr`. Map keys are used verbatim. */
  path: string;
  message: string;
}

function listIssues(summary: string, issues: readonly SpecIssue[]): string {
  return [summary, ...issues.map((issue) => `  ${issue.path}: ${issue.message}`)].join('\n');
}

/**
 * Thrown when a pipeline document, or the runtime parameters for it, are invalid. Carries every
 * issue found, not just the first, so an author can fix them all in one round.
 */
export class SpecValidationError extends Error {
  readonly issues: SpecIssue[];

  constructor(issues: SpecIssue[], summary = 'invalid pipeline spec') {
    super(listIssues(summary, issues));
    this.name = 'SpecValidationError';
    this.issues = issues;
  }
}

/**
 * Thrown when the spec is well formed but uses features this release refuses (conditions,
 * ParallelFor, exit handlers, nested pipelines, importers, ...). Every issue message says
 * "not supported yet" and names the feature.
 */
export class SpecNotSupportedError extends SpecValidationError {
  constructor(issues: SpecIssue[]) {
    super(issues, 'pipeline uses features that are not supported yet');
    this.name = 'SpecNotSupportedError';
  }
}

/**
 * Thrown when the uploaded bytes are not a YAML or JSON document at all: an empty file, a syntax
 * error, binary data, or a document that is not a mapping. `line`/`column` (1-based) locate a
 * syntax error when known.
 */
export class SpecParseError extends SpecValidationError {
  readonly line?: number;
  readonly column?: number;

  constructor(message: string, position?: { line: number; column: number }) {
    super([{ path: 'document', message }], 'cannot read the pipeline file');
    this.name = 'SpecParseError';
    this.line = position?.line;
    this.column = position?.column;
  }
}

/**
 * Thrown while building a step's command line when a placeholder is unknown or refers to an
 * input or output that has no value. `placeholder` is the full `{{$...}}` text.
 */
export class PlaceholderError extends Error {
  readonly placeholder: string;

  constructor(placeholder: string, reason: string) {
    super(`${placeholder}: ${reason}`);
    this.name = 'PlaceholderError';
    this.placeholder = placeholder;
  }
}

/**
 * Thrown when a finished step's outputs (parameter files or `executor_output.json`) do not match
 * what its component declares. `field` names the offending output, e.g. `parameterValues.accuracy`.
 */
export class ExecutorOutputError extends Error {
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'ExecutorOutputError';
    this.field = field;
  }
}

/**
 * Thrown when a task's resources (cpu, memory, accelerator) resolve to a value that is not a
 * quantity of their kind, or read an input that has no value. The message names the field, the
 * value and the task.
 */
export class ResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceError';
  }
}
