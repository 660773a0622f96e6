/**
 * Resolution of kfp-kubernetes' `*Parameter` values against the task's DAG, as KFP's driver does
 * (`resolveInputParameter`): a DAG input left unset resolves to null, and the caller skips what it
 * configures (a secret, a toleration) rather than failing, which is how a pipeline makes such
 * settings optional (`missing_kubernetes_optional_inputs`).
 */
import { PlaceholderError } from '../../../ir/errors';
import { resolveConstantPlaceholders } from '../../../ir/placeholders';
import { ownValue } from '../../../ir/records';
import { isDnsSubdomain } from './names';
import type { PlatformScope } from './pod-launch';
import type { ParameterSpec } from './platform-config';
import { podSpecError } from './pod-spec-error';

/**
 * The value `spec` (at `path`) stands for, or null when it names an input of the DAG that was
 * left unset.
 *
 * @throws PodSpecError when a constant is empty or has a placeholder that cannot be resolved, or
 *   when the upstream task has no such output.
 */
export function resolveParameter(spec: ParameterSpec, scope: PlatformScope, path: string): unknown {
  if (spec.componentInputParameter !== undefined) return ownValue(scope.parameters, spec.componentInputParameter) ?? null;
  if (spec.taskOutputParameter) {
    const { producerTask, outputParameterKey } = spec.taskOutputParameter;
    const value = ownValue(ownValue(scope.taskOutputs, producerTask), outputParameterKey);
    if (value === undefined || value === null) {
      throw podSpecError(`${path}.taskOutputParameter`, `task ${producerTask} has no output parameter ${outputParameterKey} (it did not succeed, or did not write it)`);
    }
    return value;
  }
  const constant = spec.runtimeValue?.constant;
  if (constant === undefined || constant === null) throw podSpecError(`${path}.runtimeValue.constant`, 'is empty');
  if (typeof constant !== 'string') return constant;
  try {
    return resolveConstantPlaceholders(constant, scope.run, {});
  } catch (error) {
    if (error instanceof PlaceholderError) throw podSpecError(`${path}.runtimeValue.constant`, error.message);
    throw error;
  }
}

/** Where an object's name is given: a `*Parameter` spec, or a literal name; `path` is that field's. */
export type NameSource = { parameter: ParameterSpec; path: string } | { literal: string | undefined; path: string };

/**
 * The `*Parameter` field when set (KFP's driver prefers it; newer SDKs write both), else the
 * deprecated literal beside it: `secretNameParameter`, else `secretName`.
 */
export function nameSource(parameter: ParameterSpec | undefined, literal: string | undefined, entryPath: string, field: string): NameSource {
  return parameter ? { parameter, path: `${entryPath}.${field}Parameter` } : { literal, path: `${entryPath}.${field}` };
}

/**
 * The name of a Secret, ConfigMap or PVC (`kind`); undefined when it is a DAG input left unset.
 *
 * @throws PodSpecError when the value is not a string or not a valid object name.
 */
export function resolveName(source: NameSource, kind: string, scope: PlatformScope): string | undefined {
  const value = 'parameter' in source ? resolveParameter(source.parameter, scope, source.path) : source.literal;
  if (value === null) return undefined;
  if (typeof value !== 'string' || !isDnsSubdomain(value)) {
    throw podSpecError(source.path, `${JSON.stringify(value)} is not a ${kind} name (a DNS-1123 subdomain: lowercase alphanumerics, '-' and '.')`);
  }
  return value;
}
