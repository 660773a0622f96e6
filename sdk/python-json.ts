/** The JSON shape of KFP's structured arguments: strings nested in lists and single-key objects. */
export type JsonStruct = string | JsonStruct[] | { [key: string]: JsonStruct };

/**
 * Serializes like Python's `json.dumps` with its defaults (`, ` and `: ` separators, non-ASCII
 * escaped as `\uXXXX`), which is how KFP's compiler writes `IfPresent` and `Concat` arguments.
 * Matching it byte for byte keeps a spec identical whichever SDK compiled it.
 */
export function pythonJsonDumps(value: JsonStruct): string {
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const members = Object.entries(value).map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`);
  return `{${members.join(', ')}}`;
}
