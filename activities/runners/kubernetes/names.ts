/**
 * Kubernetes' name rules (apimachinery's validation), and deterministic ways to fit any text into
 * them: a text that already fits is kept as it is, otherwise it is cleaned and cut and a hash of
 * the exact text is appended, so two different texts never share a name.
 */
import { sha256Hex } from '../../../ir/sha256';
import { dnsSafe } from '../../../ir/task-path';
import { podSpecError } from './pod-spec-error';

const MAX_LABEL = 63;
const HASH_LENGTH = 10;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** Environment variable names as Kubernetes has always accepted them (C identifiers, plus `-` and `.`). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A volume, container or port name; also the pod's own name here. */
export function isDnsLabel(text: string): boolean {
  return text.length <= MAX_LABEL && DNS_LABEL.test(text);
}

/** The name of a Secret, ConfigMap or PersistentVolumeClaim. */
export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && text.split('.').every((part) => part.length > 0 && DNS_LABEL.test(part));
}

function isLabelValue(text: string): boolean {
  return text.length <= MAX_LABEL && LABEL_VALUE.test(text);
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain. */
export function isLabelKey(text: string): boolean {
  const slash = text.lastIndexOf('/');
  const name = text.slice(slash + 1);
  const prefixOk = slash < 0 || isDnsSubdomain(text.slice(0, slash));
  return prefixOk && name.length <= MAX_LABEL && QUALIFIED_NAME.test(name);
}

export function isEnvName(text: string): boolean {
  return ENV_NAME.test(text);
}

function fitted(text: string, fits: (text: string) => boolean, clean: (text: string) => string): string {
  if (fits(text)) return text;
  const hash = sha256Hex(text).slice(0, HASH_LENGTH);
  const head = clean(text).slice(0, MAX_LABEL - HASH_LENGTH - 1).replace(/[^A-Za-z0-9]+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/** `text` as a label value (at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends). */
export function labelValueFor(text: string): string {
  return fitted(text, isLabelValue, (t) => t.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, ''));
}

/** `text` as a DNS-1123 label (a volume name, a claim name). */
export function dnsLabelFor(text: string): string {
  return fitted(text, isDnsLabel, dnsSafe);
}

/** @throws PodSpecError unless every key is a label key and every value a label value. */
export function checkLabels(labels: Record<string, string>, path: string): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) throw podSpecError(`${path}.${key}`, `'${key}' is not a label key ([prefix/]name, the name at most 63 characters)`);
    if (!isLabelValue(value)) throw podSpecError(`${path}.${key}`, `'${value}' is not a label value (at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends)`);
  }
  return labels;
}
