/**
 * Sluice's TypeScript SDK: define container components and pipelines with typed inputs and
 * outputs, and compile them to KFP PipelineSpec (IR 2.1.0) that KFP and Sluice both run.
 */
export { Artifact, ArtifactDecl, ClassificationMetrics, Dataset, HTML, Markdown, Metrics, Model } from './artifact-types';
export { ArtifactChannel, ParameterChannel } from './channels';
export { compilePipeline } from './compile';
export { containerComponent, type ContainerComponent, type ContainerComponentOptions } from './component';
export type { ComponentIO } from './component-io';
export type { InputDecls, OutputDecls, PipelineInputDecls } from './declarations';
export { SdkError, type SdkErrorContext } from './errors';
export { Param, ParamDecl, type ParameterTypeName, type ParameterValueOf } from './parameter-types';
export { pipeline, type Pipeline, type PipelineInputs, type PipelineOptions } from './pipeline';
export { RuntimePlaceholders, type CommandArg } from './placeholders';
export { PipelineTask, type Duration, type RetryOptions, type TaskOutputs } from './task';
export type { TaskArg, TaskArgs } from './task-inputs';
export { SCHEMA_VERSION, SDK_VERSION } from './version';
export { toYaml } from './yaml';
