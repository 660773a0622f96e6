/**
 * Where a pod may run: kfp-kubernetes' `nodeSelector`, `tolerations`, `nodeAffinity` and
 * `podAffinity`, as KFP's driver applies them (`extendPodSpecPatch`). The JSON forms
 * (`nodeSelectorJson`, `tolerationJson`, `nodeAffinityJson`) take precedence over the literal
 * fields beside them, as the proto says, and one that names a DAG input left unset configures
 * nothing. Values are checked as the API server would, so a bad operator fails here, by field.
 */
import type { V1Affinity, V1NodeSelectorRequirement, V1NodeSelectorTerm, V1PodAffinityTerm, V1Toleration } from '@kubernetes/client-node';
import { z } from 'zod';
import { checkLabels, isLabelKey } from './names';
import { resolveParameter } from './parameters';
import type { PlatformScope } from './pod-launch';
import { podSpecError } from './pod-spec-error';
import type { KubernetesExecutorConfig, ParameterSpec, SelectorRequirement } from './platform-config';
import { parseOrThrow } from './zod-issues';

const NODE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const LABEL_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const TOLERATION_OPERATORS = ['', 'Exists', 'Equal'];
const TAINT_EFFECTS = ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'];

const RequirementJson = z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }).strict();
const TermJson = z.object({ matchExpressions: z.array(RequirementJson).optional(), matchFields: z.array(RequirementJson).optional() }).strict();
const NodeAffinityJson = z
  .object({
    requiredDuringSchedulingIgnoredDuringExecution: z.object({ nodeSelectorTerms: z.array(TermJson) }).strict().optional(),
    preferredDuringSchedulingIgnoredDuringExecution: z.array(z.object({ weight: z.number().int().min(1).max(100), preference: TermJson }).strict()).optional(),
  })
  .strict();
const TolerationJson = z
  .object({ key: z.string().optional(), operator: z.string().optional(), value: z.string().optional(), effect: z.string().optional(), tolerationSeconds: z.number().int().optional() })
  .strict();

/** The JSON value a `*Json` parameter stands for, checked against `schema`; undefined when it names a DAG input left unset. */
function jsonParameter<S extends z.ZodTypeAny>(spec: ParameterSpec, schema: S, kind: string, scope: PlatformScope, path: string): z.output<S> | undefined {
  const value = resolveParameter(spec, scope, path);
  return value === null ? undefined : parseOrThrow(schema, value, path, `not a field of a Kubernetes ${kind}`);
}

export function nodeSelector(config: KubernetesExecutorConfig, scope: PlatformScope, path: string): Record<string, string> | undefined {
  const selector = config.nodeSelector;
  if (!selector) return undefined;
  const labels = selector.nodeSelectorJson
    ? jsonParameter(selector.nodeSelectorJson, z.record(z.string()), 'node selector', scope, `${path}.nodeSelectorJson`)
    : selector.labels;
  return labels && Object.keys(labels).length ? checkLabels(labels, `${path}.${selector.nodeSelectorJson ? 'nodeSelectorJson' : 'labels'}`) : undefined;
}

function checkToleration(toleration: z.output<typeof TolerationJson>, path: string): V1Toleration {
  const { key = '', operator = '', value = '', effect = '', tolerationSeconds } = toleration;
  const fail = (field: string, message: string) => podSpecError(`${path}.${field}`, message);
  if (!TOLERATION_OPERATORS.includes(operator)) throw fail('operator', `'${operator}' is not a toleration operator (Exists or Equal)`);
  if (!TAINT_EFFECTS.includes(effect)) throw fail('effect', `'${effect}' is not a taint effect (NoSchedule, PreferNoSchedule or NoExecute)`);
  if (key && !isLabelKey(key)) throw fail('key', `'${key}' is not a taint key`);
  if (!key && operator !== 'Exists') throw fail('operator', 'must be Exists when the key is empty (a toleration of every taint)');
  if (operator === 'Exists' && value) throw fail('value', 'must be empty when the operator is Exists');
  if (tolerationSeconds !== undefined && effect !== 'NoExecute') throw fail('tolerationSeconds', 'applies only to the NoExecute effect');
  return { ...(key ? { key } : {}), ...(operator ? { operator } : {}), ...(value ? { value } : {}), ...(effect ? { effect } : {}), ...(tolerationSeconds !== undefined ? { tolerationSeconds } : {}) };
}

/** `tolerationJson` may hold one toleration or a list of them; both are appended. */
export function tolerations(config: KubernetesExecutorConfig, scope: PlatformScope, path: string): V1Toleration[] {
  return (config.tolerations ?? []).flatMap((toleration, i) => {
    const at = `${path}[${i}]`;
    if (!toleration.tolerationJson) return [checkToleration(toleration, at)];
    const json = jsonParameter(toleration.tolerationJson, z.union([TolerationJson, z.array(TolerationJson)]), 'Toleration', scope, `${at}.tolerationJson`);
    const list = json === undefined ? [] : Array.isArray(json) ? json : [json];
    return list.map((item, j) => checkToleration(item, Array.isArray(json) ? `${at}.tolerationJson[${j}]` : `${at}.tolerationJson`));
  });
}

/** @throws PodSpecError unless the operator is one of `operators` and the values suit it, as the API server checks. */
function checkRequirement(requirement: SelectorRequirement, operators: string[], path: string): V1NodeSelectorRequirement {
  const { key, operator, values = [] } = requirement;
  if (!operators.includes(operator)) throw podSpecError(`${path}.operator`, `'${operator}' is not one of ${operators.join(', ')}`);
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) throw podSpecError(`${path}.values`, `must not be empty for ${operator}`);
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) throw podSpecError(`${path}.values`, `must be empty for ${operator}`);
  if ((operator === 'Gt' || operator === 'Lt') && !(values.length === 1 && /^-?\d+$/.test(values[0]))) {
    throw podSpecError(`${path}.values`, `must be a single integer for ${operator}`);
  }
  return { key, operator, ...(values.length ? { values } : {}) };
}

/** The `requiredDuringScheduling…`/`preferredDuringScheduling…` pair without its empty half; undefined when both are empty. */
function rules<R, P>(required: R | undefined, preferred: P[]) {
  if (required === undefined && !preferred.length) return undefined;
  return {
    ...(required !== undefined ? { requiredDuringSchedulingIgnoredDuringExecution: required } : {}),
    ...(preferred.length ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
  };
}

function nodeTerm(term: z.output<typeof TermJson>, path: string): V1NodeSelectorTerm {
  const expressions = (term.matchExpressions ?? []).map((r, i) => checkRequirement(r, NODE_OPERATORS, `${path}.matchExpressions[${i}]`));
  const fields = (term.matchFields ?? []).map((r, i) => checkRequirement(r, NODE_OPERATORS, `${path}.matchFields[${i}]`));
  if (!expressions.length && !fields.length) throw podSpecError(path, 'sets no matchExpressions or matchFields, so it would select nothing');
  return { ...(expressions.length ? { matchExpressions: expressions } : {}), ...(fields.length ? { matchFields: fields } : {}) };
}

function nodeAffinity(config: KubernetesExecutorConfig, scope: PlatformScope, path: string): V1Affinity['nodeAffinity'] {
  const required: V1NodeSelectorTerm[] = [];
  const preferred: { weight: number; preference: V1NodeSelectorTerm }[] = [];
  (config.nodeAffinity ?? []).forEach((term, i) => {
    const at = `${path}[${i}]`;
    if (!term.nodeAffinityJson) {
      const selector = nodeTerm(term, at);
      if (term.weight === undefined) required.push(selector);
      else preferred.push({ weight: term.weight, preference: selector });
      return;
    }
    const jsonPath = `${at}.nodeAffinityJson`;
    const json = jsonParameter(term.nodeAffinityJson, NodeAffinityJson, 'NodeAffinity', scope, jsonPath);
    json?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms.forEach((t, j) =>
      required.push(nodeTerm(t, `${jsonPath}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${j}]`)),
    );
    json?.preferredDuringSchedulingIgnoredDuringExecution?.forEach((p, j) =>
      preferred.push({ weight: p.weight, preference: nodeTerm(p.preference, `${jsonPath}.preferredDuringSchedulingIgnoredDuringExecution[${j}].preference`) }),
    );
  });
  return rules(required.length ? { nodeSelectorTerms: required } : undefined, preferred);
}

function labelSelector(expressions: SelectorRequirement[] | undefined, labels: Record<string, string> | undefined, path: string, fields: [string, string]) {
  const matchExpressions = (expressions ?? []).map((r, i) => checkRequirement(r, LABEL_OPERATORS, `${path}.${fields[0]}[${i}]`));
  const matchLabels = checkLabels(labels ?? {}, `${path}.${fields[1]}`);
  if (!matchExpressions.length && !Object.keys(matchLabels).length) return undefined;
  return { ...(matchExpressions.length ? { matchExpressions } : {}), ...(Object.keys(matchLabels).length ? { matchLabels } : {}) };
}

/**
 * kfp-kubernetes' `podAffinity` terms (KFP's driver has no code for them; the proto's meaning is
 * plain): `anti` makes a term anti-affinity, `weight` makes it preferred.
 */
function podAffinities(config: KubernetesExecutorConfig, path: string): Pick<V1Affinity, 'podAffinity' | 'podAntiAffinity'> {
  const terms = (config.podAffinity ?? []).map((term, i) => {
    const at = `${path}[${i}]`;
    const podSelector = labelSelector(term.matchPodExpressions, term.matchPodLabels, at, ['matchPodExpressions', 'matchPodLabels']);
    const namespaceSelector = labelSelector(term.matchNamespaceExpressions, term.matchNamespaceLabels, at, ['matchNamespaceExpressions', 'matchNamespaceLabels']);
    const affinityTerm: V1PodAffinityTerm = {
      topologyKey: term.topologyKey,
      ...(podSelector ? { labelSelector: podSelector } : {}),
      ...(term.namespaces?.length ? { namespaces: term.namespaces } : {}),
      ...(namespaceSelector ? { namespaceSelector } : {}),
    };
    return { anti: term.anti ?? false, weight: term.weight, term: affinityTerm };
  });
  const group = (anti: boolean) => {
    const own = terms.filter((t) => t.anti === anti);
    const required = own.filter((t) => t.weight === undefined).map((t) => t.term);
    const preferred = own.flatMap((t) => (t.weight === undefined ? [] : [{ weight: t.weight, podAffinityTerm: t.term }]));
    return rules(required.length ? required : undefined, preferred);
  };
  const [podAffinity, podAntiAffinity] = [group(false), group(true)];
  return { ...(podAffinity ? { podAffinity } : {}), ...(podAntiAffinity ? { podAntiAffinity } : {}) };
}

export function affinity(config: KubernetesExecutorConfig, scope: PlatformScope, path: string): V1Affinity | undefined {
  const node = nodeAffinity(config, scope, `${path}.nodeAffinity`);
  const pods = podAffinities(config, `${path}.podAffinity`);
  const out: V1Affinity = { ...(node ? { nodeAffinity: node } : {}), ...pods };
  return Object.keys(out).length ? out : undefined;
}
