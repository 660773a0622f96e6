/**
 * Kubernetes resource quantities (`resource.Quantity`), checked with the API server's grammar so a
 * bad value fails while the pod is built, naming its field, rather than at submit time.
 */

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const MULTIPLIERS: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The value of `text` in base units (cores, bytes), or undefined when it is not a quantity.
 * A float is exact enough for what it is used for: comparing a request with its limit.
 */
export function quantityValue(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  const multiplier = suffix.length > 1 && /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : MULTIPLIERS[suffix];
  return Number(number) * multiplier;
}

/** Why `text` cannot be a resource quantity, or undefined when it can (negative amounts cannot). */
export function quantityProblem(text: string): string | undefined {
  const value = quantityValue(text);
  if (value === undefined) return `'${text}' is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 4G)`;
  if (value < 0) return `'${text}' is negative`;
  return undefined;
}
