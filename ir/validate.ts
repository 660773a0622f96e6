/**
 * Deep validation of a `PipelineSpec` (KFP IR 2.1.0) and of the runtime parameters for a run.
 * Every check runs and every issue is reported, so an author fixes a spec in one round. Checks
 * read the raw document defensively: it comes from a user and is only typed once it passes.
 */
import { SpecNotSupportedError, SpecValidationError, type SpecIssue } from './errors';
import { sortTopologically } from './graph';
import { PARAMETER_TYPES, isParameterType, parameterFromText, parameterToText, typeMismatch } from './parameter-values';
import { inputParameterReferences } from './placeholders';
import { isPlainObject, ownValue } from './records';
import { resourceInputs, staticResourceIssues } from './resources';
import { toRetrySettings } from './retry';
import type { ArtifactRef, ArtifactSpec, ParameterType, ParameterValue, PipelineSpec } from './types';

type Doc = Record<string, unknown>;
type Side = 'inputDefinitions' | 'outputDefinitions';
type Kind = 'parameters' | 'artifacts';

const SCHEMA_VERSIONS = ['2.1.0', '2.0.0'];
const PIPELINE_SPEC_FIELDS = ['pipelineInfo', 'deploymentSpec', 'sdkVersion', 'schemaVersion', 'components', 'root', 'defaultPipelineRoot'];
const TRIGGER_STRATEGIES = ['ALL_UPSTREAM_TASKS_SUCCEEDED', 'ALL_UPSTREAM_TASKS_COMPLETED', 'TRIGGER_STRATEGY_UNSPECIFIED'];
const INPUT_PARAMETER_SOURCES = ['runtimeValue', 'componentInputParameter', 'taskOutputParameter', 'taskFinalStatus'] as const;
const INPUT_ARTIFACT_SOURCES = ['taskOutputArtifact', 'componentInputArtifact'] as const;
// The schema title every artifact type is compatible with, both ways (kfp's check_artifact_type_compatibility).
const GENERIC_ARTIFACT = 'system.Artifact';
/** The field naming the producer's output, in task inputs and in DAG output selectors alike. */
const OUTPUT_KEY = { parameters: 'outputParameterKey', artifacts: 'outputArtifactKey' } as const;
const SINGULAR = { parameters: 'parameter', artifacts: 'artifact' } as const;
/** kfp's SDK allows pipeline names of up to 128 characters; the name is also a Temporal search attribute. */
export const MAX_PIPELINE_NAME_LENGTH = 128;
/** A file name's limit on every common filesystem, in bytes of UTF-8. */
const MAX_SEGMENT_BYTES = 255;
/**
 * Largest run parameter, as JSON. Parameters travel in every workflow input and every launch's
 * command line and `executor_input`; larger values belong in artifacts.
 */
export const MAX_RUN_PARAMETER_BYTES = 1024 * 1024;

/**
 * Why `name` cannot be a directory name in the artifact store, or undefined when it can. Task,
 * component, input and output names become path segments of a task's directories
 * (`<root>/<run>/root/<task>/<output>`), so `..`, a separator or a NUL would put them elsewhere.
 */
export function pathSegmentProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name === '.' || name === '..') return `must not be "${name}" (it names a directory in the artifact store)`;
  if (name.includes('/') || name.includes('\\') || name.includes('\u0000')) return 'must not contain "/", "\\" or a NUL character (it names a directory in the artifact store)';
  if (utf8Bytes(name) > MAX_SEGMENT_BYTES) return `longer than ${MAX_SEGMENT_BYTES} bytes (it names a directory in the artifact store)`;
  return undefined;
}

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** `path["name"]`, the form issue paths use for names that are checked as path segments. */
function named(path: string, name: string): string {
  return `${path}[${JSON.stringify(name.length > 64 ? `${name.slice(0, 61)}...` : name)}]`;
}

/** Reports each of `names` that cannot be a path segment, at `path["name"]`. */
function checkSegments(findings: Findings, path: string, names: string[]): void {
  for (const name of names) {
    const problem = pathSegmentProblem(name);
    if (problem) findings.error(named(path, name), problem);
  }
}

/** A map-valued field as a record; anything else (missing, malformed) reads as empty. */
function fields(value: unknown): Doc {
  return isPlainObject(value) ? value : {};
}

/** `doc[key]` if it is a mapping of its own, else undefined. */
function ownMap(doc: Doc, key: unknown): Doc | undefined {
  const value = typeof key === 'string' ? ownValue(doc, key) : undefined;
  return isPlainObject(value) ? value : undefined;
}

/** Issues split by kind: errors make the spec invalid, unsupported ones name features this release refuses. */
class Findings {
  readonly errors: SpecIssue[] = [];
  readonly unsupported: SpecIssue[] = [];

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  /** @param feature what the user wrote, phrased to end the sentence "... is not supported yet". */
  notSupported(path: string, feature: string): void {
    this.unsupported.push({ path, message: `${feature} is not supported yet` });
  }

  /** Checks a map-valued field: absent is fine unless `required`; present must be a mapping. */
  map(value: unknown, path: string, required = false): Doc {
    if (value === undefined || value === null) {
      if (required) this.error(path, 'required');
    } else if (!isPlainObject(value)) {
      this.error(path, 'must be a mapping');
    }
    return fields(value);
  }
}

/** Everything the checks need to look things up, and where the issues go. */
interface Scope {
  findings: Findings;
  components: Doc;
  executors: Doc;
}

/** A component that owns a DAG: the root, or a component with a `dag`. */
interface DagOwner {
  component: Doc;
  /** How messages name it: `the pipeline` or `component "comp-x"`. */
  label: string;
}

/**
 * Checks a pipeline spec deeply and returns it typed.
 *
 * Caching options (`cachingOptions.enableCache`, `cacheKey`) must have their protobuf types; the
 * workflow turns them into a container task's cache plan (`ir/cache-key.ts`).
 *
 * @throws SpecNotSupportedError when the only problems are features this release refuses.
 * @throws SpecValidationError listing every issue otherwise (unsupported features included).
 */
export function validatePipelineSpec(spec: unknown): PipelineSpec {
  if (!isPlainObject(spec)) throw new SpecValidationError([{ path: 'document', message: 'must be a mapping (a PipelineSpec)' }]);
  const findings = new Findings();
  checkHeader(spec, findings);
  const scope: Scope = {
    findings,
    components: findings.map(spec.components, 'components', true),
    executors: findings.map(fields(spec.deploymentSpec).executors, 'deploymentSpec.executors', true),
  };
  for (const [name, executor] of Object.entries(scope.executors)) checkExecutor(`deploymentSpec.executors.${name}`, executor, findings);
  checkSegments(findings, 'components', Object.keys(scope.components));
  checkNesting(spec, scope);
  for (const [name, component] of Object.entries(scope.components)) {
    const path = `components.${name}`;
    if (!isPlainObject(component)) {
      findings.error(path, 'must be a mapping');
      continue;
    }
    checkInterface(path, component, findings);
    checkImplementation(path, component, scope);
    // Components with a DAG are refused where a task uses them, but their structure is still checked.
    if (component.dag !== undefined) checkDag(`${path}.dag`, { component, label: `component "${name}"` }, scope);
  }
  const root = findings.map(spec.root, 'root', true);
  if (isPlainObject(spec.root)) {
    checkInterface('root', root, findings);
    const dag = findings.map(root.dag, 'root.dag', true);
    if (isPlainObject(dag.tasks) && Object.keys(dag.tasks).length === 0) findings.error('root.dag.tasks', 'a pipeline needs at least one task');
    if (isPlainObject(root.dag)) checkDag('root.dag', { component: root, label: 'the pipeline' }, scope);
  }
  return finish(spec, findings);
}

/**
 * Longest task path a run may record, in bytes: the store keys tasks by it in a btree index
 * (PostgreSQL refuses rows over about 2,700 bytes), and the artifact store nests a directory per
 * segment under the pipeline root.
 */
export const MAX_TASK_PATH_BYTES = 2048;
/** The widest loop index a task path is assumed to carry (`[9999999999]`). */
const ITERATION_SUFFIX_BYTES = 12;

/**
 * Sub-DAGs must end: a component whose DAG runs itself, directly or through others, would nest
 * without end, since the workflow runs each sub-DAG inside its parent (kfp's compiler never writes
 * one). And the deepest task path (`root/outer/for-loop-2[17]/train`) must fit
 * `MAX_TASK_PATH_BYTES`. Both are computed over the components in dependency order, without
 * recursion, so a long chain of components cannot overflow the stack here either.
 */
function checkNesting(spec: Doc, scope: Scope): void {
  const tasksOf = (component: unknown) => Object.entries(fields(fields(fields(component).dag).tasks));
  const uses = (name: string) => tasksOf(scope.components[name]).map(([, task]) => fields(fields(task).componentRef).name).filter((n): n is string => typeof n === 'string');
  const { order, cycle } = sortTopologically(Object.keys(scope.components), uses);
  if (cycle) {
    scope.findings.error(`components.${cycle[0]}.dag`, `runs itself, so it would nest without end: ${cycle.join(' -> ')}`);
    return;
  }
  // The longest path below each DAG component, by bytes, from the leaves up.
  const longest = new Map<string, number>();
  const longestBelow = (component: unknown) =>
    tasksOf(component).reduce((most, [name, task]) => {
      const ref = fields(fields(task).componentRef).name;
      const iteration = fields(task).parameterIterator !== undefined || fields(task).artifactIterator !== undefined ? ITERATION_SUFFIX_BYTES : 0;
      const below = typeof ref === 'string' ? (longest.get(ref) ?? 0) : 0;
      return Math.max(most, 1 + utf8Bytes(name) + iteration + below);
    }, 0);
  for (const name of order) longest.set(name, longestBelow(scope.components[name]));
  const bytes = 'root'.length + longestBelow(spec.root);
  if (bytes > MAX_TASK_PATH_BYTES) {
    scope.findings.error('root.dag', `nests task paths up to ${bytes} bytes long (sub-DAG names joined by "/"), more than the ${MAX_TASK_PATH_BYTES} byte limit`);
  }
}

function finish(spec: Doc, findings: Findings): PipelineSpec {
  if (findings.errors.length > 0) throw new SpecValidationError([...findings.errors, ...findings.unsupported]);
  if (findings.unsupported.length > 0) throw new SpecNotSupportedError(findings.unsupported);
  return spec as unknown as PipelineSpec;
}

function checkHeader(spec: Doc, findings: Findings): void {
  const version = spec.schemaVersion;
  if (version === undefined) findings.error('schemaVersion', 'required');
  else if (typeof version !== 'string' || !SCHEMA_VERSIONS.includes(version)) {
    findings.error('schemaVersion', `must be ${SCHEMA_VERSIONS.join(' or ')}, got ${JSON.stringify(version)}`);
  }
  const name = findings.map(spec.pipelineInfo, 'pipelineInfo').name;
  if (typeof name !== 'string' || name.trim() === '') findings.error('pipelineInfo.name', 'required');
  else if (name.length > MAX_PIPELINE_NAME_LENGTH) findings.error('pipelineInfo.name', `longer than ${MAX_PIPELINE_NAME_LENGTH} characters`);
  for (const key of Object.keys(spec)) {
    // protobuf's JSON parser (KFP's backend) rejects unknown fields too; a typo here would otherwise vanish.
    if (!PIPELINE_SPEC_FIELDS.includes(key)) findings.error(key, `unknown field; a PipelineSpec has ${PIPELINE_SPEC_FIELDS.join(', ')}`);
  }
}

function checkExecutor(path: string, executor: unknown, findings: Findings): void {
  if (!isPlainObject(executor)) return findings.error(path, 'must be a mapping');
  if (executor.resolver !== undefined) findings.notSupported(`${path}.resolver`, 'a resolver executor');
  if (executor.container === undefined) {
    if (executor.importer === undefined && executor.resolver === undefined) findings.error(path, 'needs a container');
    return;
  }
  const container = findings.map(executor.container, `${path}.container`);
  if (typeof container.image !== 'string' || container.image.trim() === '') {
    findings.error(`${path}.container.image`, container.image === undefined ? 'required' : 'must be a non-empty string');
  }
  for (const { key, message } of staticResourceIssues(container.resources)) findings.error(`${path}.container.resources.${key}`, message);
  for (const key of ['command', 'args'] as const) {
    const list = container[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      findings.error(`${path}.container.${key}`, 'must be a list of strings');
      continue;
    }
    list.forEach((item, i) => {
      if (typeof item !== 'string') findings.error(`${path}.container.${key}[${i}]`, 'must be a string');
    });
  }
}

/** Input and output definitions: closed parameter types, typed defaults, unique names. */
function checkInterface(path: string, component: Doc, findings: Findings): void {
  for (const side of ['inputDefinitions', 'outputDefinitions'] as const) {
    const definitions = findings.map(component[side], `${path}.${side}`);
    const parameters = findings.map(definitions.parameters, `${path}.${side}.parameters`);
    const artifacts = findings.map(definitions.artifacts, `${path}.${side}.artifacts`);
    checkSegments(findings, `${path}.${side}.parameters`, Object.keys(parameters));
    checkSegments(findings, `${path}.${side}.artifacts`, Object.keys(artifacts));
    for (const [name, parameter] of Object.entries(parameters)) {
      const at = `${path}.${side}.parameters.${name}`;
      const { parameterType: type, defaultValue } = findings.map(parameter, at);
      if (!isParameterType(type)) {
        findings.error(`${at}.parameterType`, `must be one of ${PARAMETER_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
        continue;
      }
      if (side === 'inputDefinitions' && defaultValue !== undefined && defaultValue !== null) {
        const mismatch = typeMismatch(defaultValue, type);
        if (mismatch) findings.error(`${at}.defaultValue`, mismatch);
      }
    }
    for (const [name, artifact] of Object.entries(artifacts)) {
      const at = `${path}.${side}.artifacts.${name}`;
      const artifactType = findings.map(findings.map(artifact, at).artifactType, `${at}.artifactType`, true);
      if (typeof artifactType.schemaTitle !== 'string' && typeof artifactType.instanceSchema !== 'string') {
        findings.error(`${at}.artifactType.schemaTitle`, 'required');
      }
      if (Object.hasOwn(parameters, name)) findings.error(at, `"${name}" is also a parameter; parameter and artifact names must differ`);
    }
  }
}

function checkImplementation(path: string, component: Doc, scope: Scope): void {
  const label = component.executorLabel;
  if (label === undefined) {
    if (component.dag === undefined) scope.findings.error(path, 'needs an executorLabel or a dag');
  } else if (typeof label !== 'string' || !Object.hasOwn(scope.executors, label)) {
    scope.findings.error(`${path}.executorLabel`, `executor ${JSON.stringify(label)} is not defined in deploymentSpec.executors`);
  }
}

/** Declared parameter type of an input or output, if the definition is readable. */
function parameterType(component: Doc | undefined, side: Side, name: string): ParameterType | undefined {
  const type = fields(fields(fields(component?.[side]).parameters)[name]).parameterType;
  return isParameterType(type) ? type : undefined;
}

function declares(component: Doc | undefined, side: Side, kind: Kind, name: string): boolean {
  return Object.hasOwn(fields(fields(component?.[side])[kind]), name);
}

function artifactSpec(component: Doc | undefined, side: Side, name: string): Doc {
  return fields(fields(fields(component?.[side]).artifacts)[name]);
}

/** The component a task runs, when its reference resolves. */
function componentOf(scope: Scope, task: unknown): Doc | undefined {
  return ownMap(scope.components, fields(fields(task).componentRef).name);
}

/** Why `component` (run by task `taskName`) has no output `key` of `kind`, or undefined when it has. */
function missingOutput(taskName: string, component: Doc, kind: Kind, key: unknown): string | undefined {
  if (typeof key === 'string' && declares(component, 'outputDefinitions', kind, key)) return undefined;
  const other: Kind = kind === 'parameters' ? 'artifacts' : 'parameters';
  const hint =
    typeof key === 'string' && declares(component, 'outputDefinitions', other, key)
      ? ` (it is an output ${SINGULAR[other]}; consume it under inputs.${other})`
      : '';
  return `task "${taskName}" has no output ${SINGULAR[kind]} ${JSON.stringify(key)}${hint}`;
}

/**
 * kfp's SDK requires equal parameter types (check_parameter_type_compatibility). KFP's backend
 * would convert any value to text for a STRING input, but compiled specs never rely on that, so
 * it is refused here too; the one widening allowed is integer to double, which loses nothing.
 */
function parameterTypesCompatible(given: ParameterType, expected: ParameterType): boolean {
  return given === expected || (given === 'NUMBER_INTEGER' && expected === 'NUMBER_DOUBLE');
}

/** kfp's rule for schema titles: the same, or either is the generic system.Artifact; unknown titles pass. */
function titlesCompatible(given: unknown, expected: unknown): boolean {
  if (typeof given !== 'string' || typeof expected !== 'string') return true;
  return given === expected || given === GENERIC_ARTIFACT || expected === GENERIC_ARTIFACT;
}

/** kfp's rule: compatible schema titles and the same list-ness. */
function artifactMismatch(given: Doc, expected: Doc): string | undefined {
  const givenTitle = fields(given.artifactType).schemaTitle;
  const expectedTitle = fields(expected.artifactType).schemaTitle;
  if (Boolean(given.isArtifactList) !== Boolean(expected.isArtifactList)) {
    return given.isArtifactList
      ? 'a list of artifacts cannot feed a single-artifact input'
      : 'a single artifact cannot feed a list-of-artifacts input';
  }
  if (titlesCompatible(givenTitle, expectedTitle)) return undefined;
  return `artifact type ${String(givenTitle)} does not match the input's type ${String(expectedTitle)}`;
}

function checkDag(dagPath: string, owner: DagOwner, scope: Scope): void {
  const { findings } = scope;
  const dag = fields(owner.component.dag);
  const tasks = findings.map(dag.tasks, `${dagPath}.tasks`, true);
  checkSegments(findings, `${dagPath}.tasks`, Object.keys(tasks));
  const upstream = new Map<string, string[]>();
  for (const [name, task] of Object.entries(tasks)) {
    const path = `${dagPath}.tasks.${name}`;
    if (!isPlainObject(task)) {
      findings.error(path, 'must be a mapping');
      continue;
    }
    const edges: string[] = [];
    upstream.set(name, edges);
    const context: TaskContext = { path, name, task, owner, tasks, edges, scope, component: checkTaskComponent(path, task, scope) };
    checkTaskControl(context);
    checkParameterInputs(context);
    checkArtifactInputs(context);
    checkRequiredInputs(context);
  }
  const { cycle } = sortTopologically([...upstream.keys()], (name) => upstream.get(name) ?? []);
  if (cycle) findings.error(`${dagPath}.tasks`, `dependency cycle: ${cycle.join(' -> ')}`);
  checkDagOutputs(`${dagPath}.outputs`, dag.outputs, owner, tasks, scope);
}

interface TaskContext {
  path: string;
  name: string;
  task: Doc;
  owner: DagOwner;
  /** The sibling tasks of the DAG the task is in. */
  tasks: Doc;
  /** Collects the names of the tasks this one waits for (valid references only). */
  edges: string[];
  scope: Scope;
  /** The task's component, when the reference resolves. */
  component: Doc | undefined;
}

function checkTaskComponent(path: string, task: Doc, scope: Scope): Doc | undefined {
  const name = fields(task.componentRef).name;
  if (typeof name !== 'string') {
    scope.findings.error(`${path}.componentRef.name`, 'required');
    return undefined;
  }
  const component = ownMap(scope.components, name);
  if (!component) {
    scope.findings.error(`${path}.componentRef.name`, `component "${name}" is not defined in components`);
    return undefined;
  }
  return component;
}

/** Dependencies, trigger policy, iterators, retry policy and caching options. */
function checkTaskControl(ctx: TaskContext): void {
  const { path, task, scope } = ctx;
  const { findings } = scope;
  const caching = findings.map(task.cachingOptions, `${path}.cachingOptions`);
  if (caching.enableCache !== undefined && typeof caching.enableCache !== 'boolean') findings.error(`${path}.cachingOptions.enableCache`, 'must be true or false');
  if (caching.cacheKey !== undefined && typeof caching.cacheKey !== 'string') findings.error(`${path}.cachingOptions.cacheKey`, 'must be a string');
  const trigger = findings.map(task.triggerPolicy, `${path}.triggerPolicy`);
  if (trigger.condition !== undefined && typeof trigger.condition !== 'string') {
    findings.error(`${path}.triggerPolicy.condition`, 'must be a CEL expression (a string)');
  }
  const strategy = trigger.strategy;
  if (strategy !== undefined && !TRIGGER_STRATEGIES.includes(strategy as string)) {
    findings.error(`${path}.triggerPolicy.strategy`, `unknown strategy ${JSON.stringify(strategy)}`);
  }
  checkIterator(ctx);
  if (task.dependentTasks !== undefined) {
    if (!Array.isArray(task.dependentTasks)) findings.error(`${path}.dependentTasks`, 'must be a list of task names');
    else for (const dependency of task.dependentTasks) addDependency(ctx, `${path}.dependentTasks`, dependency, 'depend on');
  }
  if (task.retryPolicy !== undefined) {
    try {
      toRetrySettings(findings.map(task.retryPolicy, `${path}.retryPolicy`), `${path}.retryPolicy`);
    } catch (error) {
      if (!(error instanceof SpecValidationError)) throw error;
      findings.errors.push(...error.issues);
    }
  }
}

/**
 * A ParallelFor: its iterator names the loop item input (`itemInput`) and where the items come
 * from (`items.raw` JSON, or an input of the loop task); `iteratorPolicy.parallelismLimit` is a
 * whole number (0 = no limit). The loop body must be a DAG.
 */
function checkIterator(ctx: TaskContext): void {
  const { path, task, scope } = ctx;
  const { findings } = scope;
  const kinds = (['parameterIterator', 'artifactIterator'] as const).filter((key) => task[key] !== undefined);
  if (kinds.length > 1) findings.error(path, 'sets parameterIterator and artifactIterator; a loop has one');
  for (const key of kinds) {
    const at = `${path}.${key}`;
    const iterator = findings.map(task[key], at);
    if (typeof iterator.itemInput !== 'string' || iterator.itemInput === '') findings.error(`${at}.itemInput`, 'required');
    const items = findings.map(iterator.items, `${at}.items`, true);
    const source = key === 'parameterIterator' ? ['raw', 'inputParameter'] : ['inputArtifact'];
    const given = source.filter((s) => items[s] !== undefined);
    if (given.length !== 1) findings.error(`${at}.items`, `needs exactly one of ${source.join(', ')}`);
    if (typeof items.raw === 'string') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(items.raw);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed)) findings.error(`${at}.items.raw`, 'must be a JSON list');
    }
    if (ownMap(scope.components, fields(task.componentRef).name)?.dag === undefined) findings.error(`${path}.componentRef`, 'a loop body must be a DAG component');
  }
  if (task.iteratorPolicy !== undefined) {
    const limit = findings.map(task.iteratorPolicy, `${path}.iteratorPolicy`).parallelismLimit;
    if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 0)) {
      findings.error(`${path}.iteratorPolicy.parallelismLimit`, 'must be a whole number >= 0');
    }
  }
}

/** Records an edge to a sibling task, or the reason it is not one. Returns whether it is valid. */
function addDependency(ctx: TaskContext, path: string, target: unknown, verb: string): boolean {
  if (typeof target !== 'string') {
    ctx.scope.findings.error(path, `expected a task name, got ${JSON.stringify(target)}`);
    return false;
  }
  if (target === ctx.name) {
    ctx.scope.findings.error(path, `a task cannot ${verb} itself`);
    return false;
  }
  if (!ownMap(ctx.tasks, target)) {
    ctx.scope.findings.error(path, `task "${target}" does not exist in this DAG`);
    return false;
  }
  ctx.edges.push(target);
  return true;
}

/** The one source an input sets, or undefined after reporting none or several. */
function singleSource<K extends string>(ctx: TaskContext, path: string, input: Doc, sources: readonly K[]): K | undefined {
  const set = sources.filter((key) => input[key] !== undefined);
  if (set.length === 1) return set[0];
  ctx.scope.findings.error(path, set.length === 0 ? `needs one of ${sources.join(', ')}` : `sets ${set.join(' and ')}; exactly one is allowed`);
  return undefined;
}

function componentLabel(ctx: TaskContext): string {
  return `component "${fields(ctx.task.componentRef).name}"`;
}

function checkParameterInputs(ctx: TaskContext): void {
  const { findings } = ctx.scope;
  const inputs = findings.map(ctx.task.inputs, `${ctx.path}.inputs`);
  const parameters = findings.map(inputs.parameters, `${ctx.path}.inputs.parameters`);
  const resources = resourceInputs(fields(fields(ownMap(ctx.scope.executors, ctx.component?.executorLabel)).container).resources);
  // Inputs the component need not declare: those constants interpolate (kfp's "pipelinechannel--"
  // inputs), and those that feed the executor's resources (kfp adds `cpu_limit` and the like).
  const undeclared = new Set([
    ...Object.values(parameters).flatMap((input) => {
      const constant = fields(fields(input).runtimeValue).constant;
      return typeof constant === 'string' ? inputParameterReferences(constant) : [];
    }),
    ...resources.flatMap(({ reads, feeder }) => [feeder, ...reads]),
  ]);
  for (const { key, reads } of resources) {
    for (const name of reads.filter((read) => !Object.hasOwn(parameters, read) && !declares(ctx.component, 'inputDefinitions', 'parameters', read))) {
      findings.error(`${ctx.path}.inputs.parameters.${name}`, `read by the executor's resources.${key} but not supplied`);
    }
  }
  for (const [name, raw] of Object.entries(parameters)) {
    const path = `${ctx.path}.inputs.parameters.${name}`;
    const input = findings.map(raw, path);
    const expected = parameterType(ctx.component, 'inputDefinitions', name);
    if (ctx.component && !declares(ctx.component, 'inputDefinitions', 'parameters', name) && !undeclared.has(name)) {
      findings.error(
        path,
        declares(ctx.component, 'inputDefinitions', 'artifacts', name)
          ? `is an artifact input of ${componentLabel(ctx)}; supply it under inputs.artifacts`
          : `${componentLabel(ctx)} declares no input parameter "${name}"`,
      );
    }
    if (input.parameterExpressionSelector !== undefined && typeof input.parameterExpressionSelector !== 'string') {
      findings.error(`${path}.parameterExpressionSelector`, 'must be a CEL expression (a string)');
    }
    const consumer = { name, type: expected };
    const source = singleSource(ctx, path, input, INPUT_PARAMETER_SOURCES);
    if (source === 'runtimeValue') checkConstant(ctx, `${path}.runtimeValue`, consumer, fields(input.runtimeValue), parameters);
    if (source === 'taskFinalStatus') addDependency(ctx, `${path}.taskFinalStatus.producerTask`, fields(input.taskFinalStatus).producerTask, 'report the final status of');
    if (source === 'componentInputParameter') {
      const from = input.componentInputParameter;
      const at = `${path}.componentInputParameter`;
      // KFP's backend checks no types here: loop items and sub-DAG channels legitimately differ from the consumer's type.
      if (typeof from !== 'string' || (!declares(ctx.owner.component, 'inputDefinitions', 'parameters', from) && !isCompilerChannel(from))) {
        findings.error(at, `${ctx.owner.label} declares no input parameter ${JSON.stringify(from)}`);
      }
    }
    if (source === 'taskOutputParameter') {
      const at = `${path}.taskOutputParameter`;
      const output = producedOutput(ctx, at, fields(input.taskOutputParameter), 'parameters');
      if (output && input.parameterExpressionSelector === undefined) {
        const given = parameterType(output.producer, 'outputDefinitions', output.key);
        checkParameterTypes(ctx, at, `output "${output.key}" of task "${output.task}"`, given, consumer);
      }
    }
  }
}

/**
 * kfp's compiler refers to loop items and channels of enclosing DAGs by names the owner does not
 * declare (nested loops: `pipelinechannel--loop-item-param-6` in the inner body, or
 * `loop-item-param-8` at the root); KFP's driver resolves them from enclosing DAGs, or leaves
 * them unset.
 */
function isCompilerChannel(name: string): boolean {
  return name.startsWith('pipelinechannel--') || /^loop-item-param-\d+$/.test(name);
}

/** An input parameter of the task's component: its name and declared type (if readable). */
interface Consumer {
  name: string;
  type?: ParameterType;
}

/** A constant must fit the declared type, and any `{{$.inputs.parameters['x']}}` in it must name another input. */
function checkConstant(ctx: TaskContext, path: string, consumer: Consumer, runtimeValue: Doc, parameters: Doc): void {
  const { findings } = ctx.scope;
  if (!Object.hasOwn(runtimeValue, 'constant')) return findings.error(`${path}.constant`, 'required');
  const constant = runtimeValue.constant;
  if (consumer.type && constant !== null) {
    const mismatch = typeMismatch(constant, consumer.type);
    if (mismatch) findings.error(`${path}.constant`, mismatch);
  }
  if (typeof constant !== 'string') return;
  for (const reference of inputParameterReferences(constant)) {
    if (reference === consumer.name || !Object.hasOwn(parameters, reference)) {
      findings.error(`${path}.constant`, `refers to input "${reference}", which the task does not supply`);
    }
  }
}

function checkParameterTypes(ctx: TaskContext, path: string, source: string, given: ParameterType | undefined, consumer: Consumer): void {
  if (given && consumer.type && !parameterTypesCompatible(given, consumer.type)) {
    ctx.scope.findings.error(path, `${source} is ${given} but input "${consumer.name}" of ${componentLabel(ctx)} is ${consumer.type}`);
  }
}

/**
 * Checks a `taskOutputParameter`/`taskOutputArtifact` reference and records the edge to its
 * producer. Returns the producer and the output key when both resolve.
 */
function producedOutput(ctx: TaskContext, path: string, reference: Doc, kind: Kind): { task: string; producer: Doc; key: string } | undefined {
  const task = reference.producerTask;
  if (!addDependency(ctx, `${path}.producerTask`, task, 'consume an output of')) return undefined;
  const producer = componentOf(ctx.scope, ownMap(ctx.tasks, task));
  if (!producer) return undefined;
  const key = reference[OUTPUT_KEY[kind]];
  const missing = missingOutput(task as string, producer, kind, key);
  if (!missing) return { task: task as string, producer, key: key as string };
  ctx.scope.findings.error(`${path}.${OUTPUT_KEY[kind]}`, missing);
  return undefined;
}

function checkArtifactInputs(ctx: TaskContext): void {
  const { findings } = ctx.scope;
  const artifacts = findings.map(fields(ctx.task.inputs).artifacts, `${ctx.path}.inputs.artifacts`);
  for (const [name, raw] of Object.entries(artifacts)) {
    const path = `${ctx.path}.inputs.artifacts.${name}`;
    const input = findings.map(raw, path);
    if (ctx.component && !declares(ctx.component, 'inputDefinitions', 'artifacts', name)) {
      findings.error(
        path,
        declares(ctx.component, 'inputDefinitions', 'parameters', name)
          ? `is a parameter input of ${componentLabel(ctx)}; supply it under inputs.parameters`
          : `${componentLabel(ctx)} declares no input artifact "${name}"`,
      );
    }
    const expected = artifactSpec(ctx.component, 'inputDefinitions', name);
    const source = singleSource(ctx, path, input, INPUT_ARTIFACT_SOURCES);
    if (source === 'componentInputArtifact') {
      const from = input.componentInputArtifact;
      const at = `${path}.componentInputArtifact`;
      if (typeof from !== 'string' || !declares(ctx.owner.component, 'inputDefinitions', 'artifacts', from)) {
        findings.error(at, `${ctx.owner.label} declares no input artifact ${JSON.stringify(from)}`);
      } else {
        const mismatch = artifactMismatch(artifactSpec(ctx.owner.component, 'inputDefinitions', from), expected);
        if (mismatch && ctx.component) findings.error(at, mismatch);
      }
    }
    if (source === 'taskOutputArtifact') {
      const at = `${path}.taskOutputArtifact`;
      const output = producedOutput(ctx, at, fields(input.taskOutputArtifact), 'artifacts');
      const mismatch = output && ctx.component && artifactMismatch(artifactSpec(output.producer, 'outputDefinitions', output.key), expected);
      if (mismatch) findings.error(at, mismatch);
    }
  }
}

/** Inputs the component requires (not optional, no default) must be supplied, except a loop's item input. */
function checkRequiredInputs(ctx: TaskContext): void {
  if (!ctx.component) return;
  const definitions = fields(ctx.component.inputDefinitions);
  const supplied = fields(ctx.task.inputs);
  const itemInputs = new Set([fields(ctx.task.parameterIterator).itemInput, fields(ctx.task.artifactIterator).itemInput]);
  for (const kind of ['parameters', 'artifacts'] as const) {
    for (const [name, definition] of Object.entries(fields(definitions[kind]))) {
      const { isOptional, defaultValue } = fields(definition);
      if (isOptional === true || defaultValue !== undefined || itemInputs.has(name)) continue;
      if (!Object.hasOwn(fields(supplied[kind]), name)) {
        ctx.scope.findings.error(`${ctx.path}.inputs.${kind}.${name}`, `required by ${componentLabel(ctx)} but not supplied`);
      }
    }
  }
}

/** A DAG's outputs must name its own declared outputs and come from a sibling that declares them. */
function checkDagOutputs(path: string, value: unknown, owner: DagOwner, tasks: Doc, scope: Scope): void {
  const { findings } = scope;
  const outputs = findings.map(value, path);
  const selected = (at: string, selector: Doc, kind: Kind) => {
    const producer = selector.producerSubtask;
    const task = ownMap(tasks, producer);
    if (!task) return findings.error(`${at}.producerSubtask`, `task ${JSON.stringify(producer)} does not exist in this DAG`);
    const component = componentOf(scope, task);
    const missing = component && missingOutput(producer as string, component, kind, selector[OUTPUT_KEY[kind]]);
    if (missing) findings.error(`${at}.${OUTPUT_KEY[kind]}`, missing);
  };
  const declared = (at: string, kind: Kind, name: string) => {
    if (declares(owner.component, 'outputDefinitions', kind, name)) return;
    findings.error(at, `${owner.label} declares no output ${SINGULAR[kind]} "${name}"`);
  };
  for (const [name, raw] of Object.entries(findings.map(outputs.parameters, `${path}.parameters`))) {
    const at = `${path}.parameters.${name}`;
    const spec = findings.map(raw, at);
    declared(at, 'parameters', name);
    if (spec.valueFromOneof !== undefined) {
      const selectors = fields(spec.valueFromOneof).parameterSelectors;
      if (!Array.isArray(selectors) || selectors.length === 0) findings.error(`${at}.valueFromOneof.parameterSelectors`, 'needs at least one selector');
      else selectors.forEach((selector, i) => selected(`${at}.valueFromOneof.parameterSelectors[${i}]`, fields(selector), 'parameters'));
    } else if (spec.valueFromParameter !== undefined) selected(`${at}.valueFromParameter`, fields(spec.valueFromParameter), 'parameters');
    else findings.error(at, 'needs valueFromParameter');
  }
  for (const [name, raw] of Object.entries(findings.map(outputs.artifacts, `${path}.artifacts`))) {
    const at = `${path}.artifacts.${name}`;
    const selectors = findings.map(raw, at).artifactSelectors;
    declared(at, 'artifacts', name);
    if (!Array.isArray(selectors) || selectors.length === 0) findings.error(`${at}.artifactSelectors`, 'needs at least one selector');
    else selectors.forEach((selector, i) => selected(`${at}.artifactSelectors[${i}]`, fields(selector), 'artifacts'));
  }
}

/**
 * Checks runtime parameters against the pipeline's declared inputs and returns the values to
 * run with, defaults filled in. Strings are read as the declared type (CLI `-p key=value` and
 * kfp's client send strings), so `"3"` is an integer and `'{"a": 1}'` a struct; numbers and
 * booleans given for a STRING parameter become their text. A null value counts as not given.
 *
 * @throws SpecValidationError with paths `runtime_config.parameters.<name>` for unknown names,
 *   wrong types (integers must be integral) and required parameters that are missing.
 */
export function validateRunParameters(spec: PipelineSpec, params: Record<string, unknown>): Record<string, ParameterValue> {
  const declared = spec.root.inputDefinitions?.parameters ?? {};
  const issues: SpecIssue[] = [];
  const values: Record<string, ParameterValue> = {};
  const path = (name: string) => `runtime_config.parameters.${name}`;
  for (const [name, value] of Object.entries(params)) {
    const definition = ownValue(declared, name);
    if (!definition) {
      const known = Object.keys(declared);
      const declaredNames = known.length > 0 ? known.join(', ') : 'no parameters';
      issues.push({ path: path(name), message: `unknown parameter; the pipeline declares ${declaredNames}` });
    } else if (value !== null && value !== undefined) {
      const bytes = utf8Bytes(JSON.stringify(value));
      if (bytes > MAX_RUN_PARAMETER_BYTES) {
        issues.push({ path: path(name), message: `${bytes} bytes as JSON, more than the ${MAX_RUN_PARAMETER_BYTES} byte limit of one parameter; pass large values as artifacts` });
        continue;
      }
      try {
        values[name] = runParameterValue(value, definition.parameterType);
      } catch (error) {
        issues.push({ path: path(name), message: (error as Error).message });
      }
    }
  }
  for (const [name, definition] of Object.entries(declared)) {
    const given = ownValue(params, name);
    if (given !== null && given !== undefined) continue;
    if (definition.defaultValue !== undefined && definition.defaultValue !== null) values[name] = definition.defaultValue;
    else if (!definition.isOptional) issues.push({ path: path(name), message: `required (${definition.parameterType}, no default)` });
  }
  if (issues.length > 0) throw new SpecValidationError(issues, 'invalid runtime parameters');
  return values;
}

/**
 * Checks the artifacts a run is given for the pipeline's input artifacts and returns them by
 * input name. KFP's own API cannot give them (its RuntimeConfig carries parameters only, and its
 * root DAG driver records no input artifacts), so Sluice takes Vertex AI's form of
 * `PipelineJob.RuntimeConfig.input_artifacts`, `{"artifact_id": "<id>"}`, and for a
 * list-of-artifacts input also `{"artifact_ids": [...]}`, the ArtifactList of KFP's task details.
 * Either form names artifacts by the ids the store gives them. An input given no artifact is
 * left out, so an optional one stays unset (its IfPresent placeholders take their else branch).
 *
 * @param find the artifact with that id, or undefined when there is none.
 * @throws SpecValidationError with paths `runtime_config.input_artifacts['<name>']`: unknown
 *   names, malformed entries, artifacts that do not exist or whose type does not fit the input,
 *   several artifacts for a single-artifact input, and required inputs that are missing.
 */
export async function validateRunInputArtifacts(
  spec: PipelineSpec,
  given: Record<string, unknown>,
  find: (artifactId: string) => Promise<ArtifactRef | undefined>,
): Promise<Record<string, ArtifactRef[]>> {
  const declared = spec.root.inputDefinitions?.artifacts ?? {};
  const issues: SpecIssue[] = [];
  const artifacts: Record<string, ArtifactRef[]> = {};
  const path = (name: string) => `runtime_config.input_artifacts['${name}']`;
  for (const [name, entry] of Object.entries(given)) {
    const definition = ownValue(declared, name);
    if (!definition) {
      const known = Object.keys(declared);
      issues.push({ path: path(name), message: `unknown input artifact; the pipeline declares ${known.length > 0 ? known.join(', ') : 'no input artifacts'}` });
      continue;
    }
    const ids = artifactIdsOf(entry);
    if (ids === undefined) {
      issues.push({ path: path(name), message: `expected {"artifact_id": "<id>"}${definition.isArtifactList ? ' or {"artifact_ids": ["<id>", ...]}' : ''}` });
      continue;
    }
    if (!definition.isArtifactList && ids.length > 1) {
      issues.push({ path: path(name), message: `the input takes one artifact, got ${ids.length}` });
      continue;
    }
    const refs = await Promise.all(ids.map(find));
    const expected = definition.artifactType.schemaTitle;
    const problems = ids.flatMap((id, i) => {
      const ref = refs[i];
      if (!ref) return [`artifact "${id}" does not exist`];
      return titlesCompatible(ref.schemaTitle, expected) ? [] : [`artifact "${id}" is a ${ref.schemaTitle}, but the input takes a ${String(expected)}`];
    });
    issues.push(...problems.map((message) => ({ path: path(name), message })));
    if (problems.length === 0 && ids.length > 0) artifacts[name] = refs as ArtifactRef[];
  }
  for (const [name, definition] of Object.entries(declared)) {
    if (definition.isOptional || Object.hasOwn(artifacts, name) || issues.some((issue) => issue.path === path(name))) continue;
    issues.push({ path: path(name), message: `required (${describeArtifactInput(definition)}, not optional)` });
  }
  if (issues.length > 0) throw new SpecValidationError(issues, 'invalid runtime input artifacts');
  return artifacts;
}

/** The ids an `input_artifacts` entry names, or undefined when it is neither of the two forms. */
function artifactIdsOf(entry: unknown): string[] | undefined {
  if (!isPlainObject(entry) || Object.keys(entry).length !== 1) return undefined;
  const ids = Object.hasOwn(entry, 'artifact_id') ? [entry.artifact_id] : entry.artifact_ids;
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string' && id !== '') ? (ids as string[]) : undefined;
}

function describeArtifactInput(definition: ArtifactSpec): string {
  const type = definition.artifactType.schemaTitle ?? 'artifact';
  return definition.isArtifactList ? `a list of ${type}` : type;
}

function runParameterValue(value: unknown, type: ParameterType): ParameterValue {
  if (type === 'STRING' && (typeof value === 'number' || typeof value === 'boolean')) return parameterToText(value);
  if (type !== 'STRING' && typeof value === 'string') return parameterFromText(value, type);
  const mismatch = typeMismatch(value, type);
  if (mismatch) throw new Error(mismatch);
  return value as ParameterValue;
}
