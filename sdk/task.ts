import type { PipelineTaskSpec, RetryPolicy, TaskInputArtifact, TaskInputParameter } from '../ir/types';
import type { ArtifactDecl } from './artifact-types';
import { ArtifactChannel, ParameterChannel, type CompileScope } from './channels';
import type { ComponentDefinition } from './component';
import type { OutputDecls } from './declarations';
import { SdkError } from './errors';
import { componentKey } from './naming';
import { ParamDecl } from './parameter-types';

/** A task's outputs, typed by its component's output declarations. */
export type TaskOutputs<O extends OutputDecls> = {
  readonly [K in keyof O]: O[K] extends ParamDecl<infer T>
    ? ParameterChannel<T>
    : O[K] extends ArtifactDecl<infer S>
      ? ArtifactChannel<S>
      : never;
};

/** A duration in seconds, or a string with a unit as KFP's `set_retry` takes it (`'30s'`, `'5m'`, `'1h'`). */
export type Duration = number | `${number}${'s' | 'm' | 'h' | 'd' | 'w'}`;

export interface RetryOptions {
  /** Retries after the first attempt. */
  maxRetryCount: number;
  /** Wait before the first retry. @default '0s' */
  backoffDuration?: Duration;
  /** Each further wait is the previous one times this. @default 2 */
  backoffFactor?: number;
  /** Upper bound on one wait. @default '3600s' */
  backoffMaxDuration?: Duration;
}

/** A task's inputs in IR form, and the tasks whose outputs they consume. */
export interface ResolvedInputs {
  parameters: Record<string, TaskInputParameter>;
  artifacts: Record<string, TaskInputArtifact>;
  producers: ReadonlySet<PipelineTask>;
}

/**
 * One call of a component inside a pipeline body. The setters record settings and return the
 * task for chaining; nothing is emitted until the pipeline is compiled.
 */
export class PipelineTask<O extends OutputDecls = OutputDecls> {
  readonly outputs: TaskOutputs<O>;
  private readonly explicitUpstream = new Set<PipelineTask>();
  private retryPolicy?: RetryPolicy;
  private enableCache = true;
  private displayName?: string;

  constructor(
    /** The task's unique key in the DAG: the KFP-sanitized component name, deduplicated. */
    readonly name: string,
    readonly component: ComponentDefinition,
    private readonly inputs: ResolvedInputs,
    readonly scope: CompileScope,
  ) {
    this.outputs = Object.fromEntries(
      Object.entries(component.outputs).map(([key, decl]) => [
        key,
        decl instanceof ParamDecl
          ? new ParameterChannel(decl.parameterType, { kind: 'taskOutput', task: this, key }, scope)
          : new ArtifactChannel(decl.schemaTitle, this, key),
      ]),
    ) as TaskOutputs<O>;
  }

  /** Runs this task only after `tasks` succeed, even though it consumes none of their outputs. */
  after(...tasks: PipelineTask[]): this {
    for (const task of tasks) {
      if (!(task instanceof PipelineTask) || task.scope !== this.scope) {
        throw new SdkError('.after() takes tasks of the same pipeline body', { task: this.name });
      }
      if (task === this) throw new SdkError('a task cannot run after itself', { task: this.name });
      this.explicitUpstream.add(task);
    }
    return this;
  }

  /** Retries a failed attempt, with KFP's defaults for what is left out. */
  setRetry(options: RetryOptions): this {
    const { maxRetryCount, backoffDuration = 0, backoffFactor = 2, backoffMaxDuration = 3600 } = options;
    if (!Number.isSafeInteger(maxRetryCount) || maxRetryCount < 0) {
      throw new SdkError(`maxRetryCount must be a non-negative integer, got ${maxRetryCount}`, { task: this.name });
    }
    if (!(typeof backoffFactor === 'number' && backoffFactor > 0 && Number.isFinite(backoffFactor))) {
      throw new SdkError(`backoffFactor must be a positive number, got ${backoffFactor}`, { task: this.name });
    }
    this.retryPolicy = {
      // Protobuf JSON leaves out zero values; KFP's compiler does the same.
      ...(maxRetryCount > 0 && { maxRetryCount }),
      backoffDuration: this.protoDuration(backoffDuration, 'backoffDuration'),
      backoffFactor,
      backoffMaxDuration: this.protoDuration(backoffMaxDuration, 'backoffMaxDuration'),
    };
    return this;
  }

  /** Whether a run may reuse a cached result of an identical earlier execution. @default true */
  setCaching(enabled: boolean): this {
    if (typeof enabled !== 'boolean') throw new SdkError('setCaching takes true or false', { task: this.name });
    this.enableCache = enabled;
    return this;
  }

  /** The name shown for this task (KFP writes it to `taskInfo.name`); the task's key is unchanged. */
  setDisplayName(name: string): this {
    if (typeof name !== 'string' || name === '') throw new SdkError('display name must be a non-empty string', { task: this.name });
    this.displayName = name;
    return this;
  }

  /** The tasks this one waits for: producers of its inputs and those named in `.after()`. */
  get upstream(): PipelineTask[] {
    return [...new Set([...this.inputs.producers, ...this.explicitUpstream])];
  }

  /** The task as KFP's compiler writes it into its DAG. */
  toTaskSpec(): PipelineTaskSpec {
    const dependentTasks = this.upstream.map((t) => t.name).sort();
    const { parameters, artifacts } = this.inputs;
    const hasParameters = Object.keys(parameters).length > 0;
    const hasArtifacts = Object.keys(artifacts).length > 0;
    return {
      taskInfo: { name: this.displayName ?? this.name },
      componentRef: { name: componentKey(this.name) },
      ...(dependentTasks.length > 0 && { dependentTasks }),
      ...((hasParameters || hasArtifacts) && {
        inputs: { ...(hasParameters && { parameters }), ...(hasArtifacts && { artifacts }) },
      }),
      // `enableCache: false` is protobuf's default, so KFP writes a disabled cache as `{}`.
      cachingOptions: this.enableCache ? { enableCache: true } : {},
      ...(this.retryPolicy && { retryPolicy: this.retryPolicy }),
    };
  }

  private protoDuration(duration: Duration, field: string): string {
    const match = typeof duration === 'string' ? /^(\d+(?:\.\d+)?)([smhdw])$/.exec(duration) : undefined;
    const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS] : duration;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw new SdkError(`${field} must be a non-negative number of seconds or a string like '30s', '5m', '1h'`, {
        task: this.name,
      });
    }
    // Millisecond precision keeps the text a valid protobuf Duration (no exponent notation).
    return `${Math.round(seconds * 1000) / 1000}s`;
  }
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;
