/**
 * Bounds on documents that come from users (request bodies, uploaded specs, query strings),
 * checked iteratively before anything recursive (zod, the validator, `JSON.stringify`, the
 * `pg` driver, PostgreSQL's jsonb) touches them: a deeply nested value overflows the stack of
 * each of those, and a NUL character is refused by PostgreSQL's text and jsonb types, so both
 * would otherwise surface as a 500 from deep inside a write.
 */

/**
 * Deepest nesting of lists and mappings accepted. A kfp-compiled spec nests about 10 levels
 * (root.dag.tasks.t.inputs.parameters.p.runtimeValue.constant, plus a struct constant's own);
 * 100 leaves room for any real struct while staying far below the depth at which the recursive
 * consumers above overflow (a few thousand).
 */
export const MAX_DOCUMENT_DEPTH = 100;

/** Largest request body or uploaded file by default (KFP's own upload limit); configurable in the API. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

/** Why a document is refused, and where (`a.b[2]["odd key"]`, or `''` for the document itself). */
export interface DocumentProblem {
  path: string;
  message: string;
}

export interface DocumentLimits {
  maxDepth: number;
  /**
   * Largest size of the value as JSON, about: string lengths plus punctuation. For a YAML
   * document with aliases this is the size after expansion, which is what would be stored.
   */
  maxBytes?: number;
}

/**
 * The first problem found in `value` (depth, a NUL character in a key or a string, size), or
 * undefined. Iterative, so any depth is safe to check; stops as soon as it finds a problem, so a
 * value that shares subtrees (expanded YAML aliases) costs at most `maxBytes` of work.
 */
export function documentProblem(value: unknown, limits: DocumentLimits): DocumentProblem | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  let bytes = 0;
  // Size belongs to the whole document, not to the node where the budget ran out.
  const tooLarge = (): DocumentProblem | undefined =>
    limits.maxBytes !== undefined && bytes > limits.maxBytes
      ? { path: '', message: `expands to more than ${formatBytes(limits.maxBytes)} as JSON (YAML aliases count once per use)` }
      : undefined;
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value: v, path, depth } = item;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path, message: 'contains a NUL character' };
      bytes += v.length + 2;
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= limits.maxDepth) return { path, message: `nested more than ${limits.maxDepth} levels deep` };
      const entries: [string, unknown][] = Array.isArray(v) ? v.map((e, i) => [`[${i}]`, e]) : Object.entries(v);
      bytes += 2;
      for (const [key, child] of entries) {
        const childPath = Array.isArray(v) ? `${path}${key}` : joinKey(path, key);
        if (!Array.isArray(v)) {
          if (key.includes('\u0000')) return { path: childPath, message: 'the key contains a NUL character' };
          bytes += key.length + 4;
        }
        pending.push({ value: child, path: childPath, depth: depth + 1 });
      }
    } else {
      bytes += 8;
    }
    const problem = tooLarge();
    if (problem) return problem;
  }
  return undefined;
}

/** `path.key`, or `path["key"]` when the key is not a plain identifier; long keys are cut. */
export function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_][\w-]*$/.test(key) && key.length <= 64) return path ? `${path}.${key}` : key;
  const shown = key.length > 64 ? `${key.slice(0, 61)}...` : key;
  return `${path}[${JSON.stringify(shown)}]`;
}

/** `32 MiB`, `512 KiB`, `100 bytes`. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [[1024 * 1024, 'MiB'], [1024, 'KiB']];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${(bytes / size).toFixed(2).replace(/\.?0+$/, '')} ${unit}`;
  }
  return `${bytes} bytes`;
}
