/** Where in a pipeline definition an {@link SdkError} was found. */
export interface SdkErrorContext {
  pipeline?: string;
  component?: string;
  task?: string;
  input?: string;
  output?: string;
}

/**
 * Thrown when a pipeline or component definition cannot compile to a valid PipelineSpec: a wiring
 * the type checker would have caught (when types are erased or cast away), a missing required
 * input, a bad name, a dependency cycle. The message names the task and input it concerns, and
 * the same identifiers are kept as fields for callers that want them.
 */
export class SdkError extends Error {
  readonly pipeline?: string;
  readonly component?: string;
  readonly task?: string;
  readonly input?: string;
  readonly output?: string;

  constructor(problem: string, context: SdkErrorContext = {}) {
    super(`${describe(context)}${problem}`);
    this.name = 'SdkError';
    Object.assign(this, context);
  }
}

function describe({ pipeline, component, task, input, output }: SdkErrorContext): string {
  const parts = [
    pipeline && `pipeline '${pipeline}'`,
    task && `task '${task}'`,
    // A task is named after its component; name the component only when that does not show it.
    component && component !== task && `component '${component}'`,
    input && `input '${input}'`,
    output && `output '${output}'`,
  ].filter(Boolean);
  return parts.length ? `${parts.join(', ')}: ` : '';
}
