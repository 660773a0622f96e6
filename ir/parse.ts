/**
 * Reading an uploaded pipeline file (YAML or JSON) into a `PipelineSpec` object. This only finds
 * the document and checks that it is a mapping with a pipeline name; `validatePipelineSpec` does
 * the deep checks. The API parses; workflow code never imports this module (it pulls in `yaml`).
 */
import YAML from 'yaml';
import { DEFAULT_MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, documentProblem } from './document-limits';
import { SpecParseError, SpecValidationError } from './errors';
import { isPlainObject } from './records';
import type { PipelineSpec } from './types';

export interface ParsedPipelineDocument {
  spec: PipelineSpec;
  /** KFP's `PlatformSpec` (e.g. `{platforms: {kubernetes: ...}}`), kept verbatim when present. */
  platformSpec?: Record<string, unknown>;
}

// Bounds the repair loop in parseYamlDocuments; each round fixes one under-indented line.
const MAX_INDENT_REPAIRS = 200;

/**
 * Alias uses allowed when a document becomes plain values: the `yaml` package's own guard against
 * "billion laughs" (it weighs each use by the size of what it repeats). Its default, stated here
 * because the API relies on it.
 */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses a pipeline file: YAML or JSON, optionally with a second YAML document holding the
 * Kubernetes platform spec (as `kfp` writes it), optionally wrapped as a PipelineJob
 * (`{pipelineSpec, runtimeConfig}` or `{pipeline_spec, platform_spec}`).
 *
 * @param maxBytes largest size of the document as JSON once its YAML aliases are expanded: what
 *   is stored must be no larger than what a JSON request of the same limit could carry, so a small
 *   file of aliases cannot become a huge spec.
 * @throws SpecParseError for an empty file, binary data, a YAML syntax error (with its line), a
 *   document nested more than `MAX_DOCUMENT_DEPTH` levels, an alias to no anchor, too many or
 *   too large aliases, or a document that is not a mapping.
 * @throws SpecValidationError when `pipelineInfo.name` is missing.
 */
export function parsePipelineDocument(text: string, { maxBytes = DEFAULT_MAX_DOCUMENT_BYTES }: { maxBytes?: number } = {}): ParsedPipelineDocument {
  // YAML forbids these control characters, so their presence means an archive, an image or similar.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) {
    const kind = text.startsWith('PK') ? 'a ZIP archive' : 'binary data';
    throw new SpecParseError(`file is ${kind}, not a YAML or JSON pipeline`);
  }
  const documents = parseYamlDocuments(text);
  // Checked together so the size bound covers both documents; one more level for the list of them.
  const problem = documentProblem(documents, { maxDepth: MAX_DOCUMENT_DEPTH + 1, maxBytes });
  if (problem) {
    const path = problem.path.replace(/^\[0\]\.?/, '').replace(/^\[1\]\.?/, 'platformSpec.').replace(/\.$/, '');
    throw new SpecValidationError([{ path: path || 'document', message: problem.message }], 'invalid pipeline document');
  }
  if (documents.length === 0) throw new SpecParseError('file is empty (no YAML or JSON document)');
  if (documents.length > 2) {
    throw new SpecParseError(`file has ${documents.length} YAML documents; expected the pipeline spec and at most a platform spec`);
  }
  const parsed = parsePipelineSpecObject(documents[0]);
  if (documents.length === 1) return parsed;
  if (parsed.platformSpec) throw new SpecParseError('the platform spec is given twice (in the wrapper and as a second YAML document)');
  const platformSpec = documents[1];
  if (!isPlainObject(platformSpec)) {
    throw new SpecParseError(`the second YAML document (the platform spec) is ${kindOf(platformSpec)}, not a mapping`);
  }
  return { spec: parsed.spec, platformSpec };
}

/**
 * The same checks for a body that is already an object (a JSON request). Unwraps a PipelineJob
 * (`pipelineSpec`/`pipeline_spec`, with `platformSpec`/`platform_spec` beside it).
 *
 * @throws SpecParseError when the value is not a mapping.
 * @throws SpecValidationError when `pipelineInfo.name` is missing.
 */
export function parsePipelineSpecObject(obj: unknown): ParsedPipelineDocument {
  if (!isPlainObject(obj)) throw new SpecParseError(`document is ${kindOf(obj)}, not a mapping (a PipelineSpec)`);
  const wrapped = obj.pipelineSpec ?? obj.pipeline_spec;
  const spec = wrapped === undefined ? obj : wrapped;
  if (!isPlainObject(spec)) throw new SpecParseError(`pipelineSpec is ${kindOf(spec)}, not a mapping`);
  const platformSpec = wrapped === undefined ? undefined : (obj.platformSpec ?? obj.platform_spec);
  if (platformSpec !== undefined && !isPlainObject(platformSpec)) {
    throw new SpecParseError(`platformSpec is ${kindOf(platformSpec)}, not a mapping`);
  }
  const info = spec.pipelineInfo;
  const name = isPlainObject(info) ? info.name : undefined;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new SpecValidationError([{ path: 'pipelineInfo.name', message: 'required' }]);
  }
  return platformSpec === undefined
    ? { spec: spec as unknown as PipelineSpec }
    : { spec: spec as unknown as PipelineSpec, platformSpec };
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/** The non-empty documents of a YAML stream (JSON is YAML), as plain JS values. */
function parseYamlDocuments(text: string): unknown[] {
  let source = text;
  let firstError: YAML.YAMLError | undefined;
  for (let round = 0; ; round++) {
    // Composing and `toJS` recurse per level, so depth is measured first: flow nesting on the
    // lexer's tokens, which stops at the limit (building the syntax tree of 100,000 `[` takes
    // seconds), then block nesting on the syntax tree, which the parser builds iteratively.
    if (flowNestingExceedsLimit(source) || yamlNestingDepth(new YAML.Parser().parse(source)) > MAX_DOCUMENT_DEPTH) {
      throw new SpecParseError(`the document is nested more than ${MAX_DOCUMENT_DEPTH} levels deep`);
    }
    const documents = YAML.parseAllDocuments(source);
    const error = documents.flatMap((doc) => doc.errors)[0];
    if (!error) {
      return documents.map(toPlainValue).filter((value) => value !== null && value !== undefined);
    }
    firstError ??= error;
    const repaired = round < MAX_INDENT_REPAIRS ? reindentQuotedScalarLine(source, error) : undefined;
    if (repaired === undefined) throw syntaxError(firstError);
    source = repaired;
  }
}

/**
 * A document as plain values. The `yaml` package reports an alias to no anchor, and alias use
 * past `maxAliasCount`, only here, as a ReferenceError.
 */
function toPlainValue(doc: YAML.Document.Parsed): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const reason = err.message.startsWith('Excessive alias count')
      ? `aliases repeat too much of the document (at most ${MAX_ALIAS_COUNT} uses, weighted by what each repeats)`
      : err.message;
    throw new SpecParseError(`YAML: ${reason}`);
  }
}

/** Whether `[`/`{` collections nest deeper than the limit, read from the lexer (which knows quotes and block scalars). */
function flowNestingExceedsLimit(source: string): boolean {
  let depth = 0;
  for (const token of new YAML.Lexer().lex(source)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_DOCUMENT_DEPTH) return true;
    } else if (token === ']' || token === '}') depth--;
  }
  return false;
}

/** Deepest nesting of collections in a YAML syntax tree, walked without recursion. */
function yamlNestingDepth(tokens: Iterable<YAML.CST.Token>): number {
  const pending: { token: YAML.CST.Token | undefined; depth: number }[] = [...tokens].map((token) => ({ token, depth: 0 }));
  let deepest = 0;
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { token, depth } = item;
    if (token?.type === 'document') pending.push({ token: token.value, depth });
    if (token?.type === 'block-map' || token?.type === 'block-seq' || token?.type === 'flow-collection') {
      deepest = Math.max(deepest, depth + 1);
      // Past the limit the exact depth does not matter; stop early on a hostile document.
      if (deepest > MAX_DOCUMENT_DEPTH) return deepest;
      for (const entry of token.items) {
        const { key, value } = entry as { key?: YAML.CST.Token | null; value?: YAML.CST.Token };
        pending.push({ token: key ?? undefined, depth: depth + 1 }, { token: value, depth: depth + 1 });
      }
    }
  }
  return deepest;
}

function syntaxError(error: YAML.YAMLError): SpecParseError {
  // The library's message is "<what> at line L, column C:" followed by a code excerpt.
  const summary = error.message.split('\n')[0].replace(/:$/, '');
  const position = error.linePos?.[0];
  return new SpecParseError(`YAML syntax error: ${summary}`, position && { line: position.line, column: position.col });
}

/**
 * KFP specs are written by PyYAML, and YAML parsers built on libyaml (PyYAML, go-yaml, which the
 * KFP backend uses) accept a quoted scalar whose continuation lines are indented less than YAML
 * 1.2 requires; kfp's own test pipelines contain such files. The `yaml` package rejects them with
 * "Missing closing quote". When that happens, indent the offending continuation line past the
 * opening quote and parse again. This never changes a value: inside a quoted scalar a line break
 * and the next line's leading spaces fold to one space whatever their number. A genuinely
 * unterminated quote still fails, and the caller then reports the original error.
 */
function reindentQuotedScalarLine(source: string, error: YAML.YAMLError): string | undefined {
  if (error.code !== 'MISSING_CHAR' || !/Missing closing .?quote/.test(error.message)) return undefined;
  // The lexer cut the scalar just before the line break that precedes the under-indented line.
  const cut = error.pos[0];
  const start = quotedScalarEndingAt(source, cut);
  if (start === undefined) return undefined;
  const quoteColumn = start - (source.lastIndexOf('\n', start - 1) + 1);
  const lineBreak = source.indexOf('\n', cut);
  if (lineBreak === -1) return undefined;
  const lineStart = lineBreak + 1;
  let indent = 0;
  while (source[lineStart + indent] === ' ') indent++;
  if (indent > quoteColumn) return undefined;
  return source.slice(0, lineStart) + ' '.repeat(quoteColumn + 1) + source.slice(lineStart + indent);
}

/** Offset of the quoted scalar token (per the `yaml` CST) that ends exactly at `end`. */
function quotedScalarEndingAt(source: string, end: number): number | undefined {
  for (const token of new YAML.Parser().parse(source)) {
    if (token.type !== 'document') continue;
    let found: number | undefined;
    YAML.CST.visit(token, (item) => {
      for (const node of [item.key, item.value]) {
        if (
          node &&
          (node.type === 'single-quoted-scalar' || node.type === 'double-quoted-scalar') &&
          node.offset + node.source.length === end
        ) {
          found = node.offset;
          return YAML.CST.visit.BREAK;
        }
      }
      return undefined;
    });
    if (found !== undefined) return found;
  }
  return undefined;
}
