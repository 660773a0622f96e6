import { extname } from 'node:path';
import { DEFAULT_MAX_DOCUMENT_BYTES } from '../ir/document-limits';
import { SpecValidationError } from '../ir/errors';
import { parsePipelineDocument, parsePipelineSpecObject, type ParsedPipelineDocument } from '../ir/parse';
import { validatePipelineSpec } from '../ir/validate';
import { InvalidArgumentError } from './errors';

/**
 * Request input → a validated pipeline document. Spec problems come out as `SpecValidationError`
 * whose issue paths start with the request field that carried the spec (`uploadfile`,
 * `pipeline_spec`), so the error names the field as well as the place inside the document.
 */

/** The extensions of a single-document pipeline file. */
const PIPELINE_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Size limits of request input, in bytes; both default to KFP's own upload limit. */
export interface InputLimits {
  /** A JSON request body, after decompression. */
  maxBodyBytes: number;
  /** An uploaded pipeline file, and the document it becomes once its YAML aliases are expanded. */
  maxUploadBytes: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = { maxBodyBytes: DEFAULT_MAX_DOCUMENT_BYTES, maxUploadBytes: DEFAULT_MAX_DOCUMENT_BYTES };

/** What multer hands over for the `uploadfile` field. */
export interface UploadedFile {
  originalname: string;
  buffer: Buffer;
}

/**
 * Reads an uploaded pipeline file. Archives (KFP also takes .zip and .tar.gz packages), images and
 * anything else that is not one YAML or JSON document are refused.
 *
 * @throws InvalidArgumentError (field `uploadfile`) when the file is missing, has another
 *   extension, or is not UTF-8 text.
 * @throws SpecValidationError when the document does not parse or is not a valid PipelineSpec.
 */
export function readPipelineFile(file: UploadedFile | undefined, maxBytes: number): ParsedPipelineDocument {
  if (!file) throw InvalidArgumentError.of('uploadfile', 'required: send the pipeline file as the multipart form field "uploadfile"');
  const name = file.originalname;
  const ext = extname(name).toLowerCase();
  if (ext && !PIPELINE_EXTENSIONS.includes(ext)) {
    throw InvalidArgumentError.of(
      'uploadfile',
      `"${name}" is not a pipeline file: expected a single .yaml, .yml or .json document (archives and other files are not accepted)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file.buffer);
  } catch {
    throw InvalidArgumentError.of('uploadfile', `"${name}" is not UTF-8 text, so it cannot be a YAML or JSON pipeline`);
  }
  return specIssuesAt('uploadfile', () => checked(parsePipelineDocument(text, { maxBytes })));
}

/**
 * Reads a spec sent inline in a JSON body (a PipelineSpec, or one wrapped as a PipelineJob).
 * @throws SpecValidationError with paths under `field`.
 */
export function readPipelineSpecObject(obj: unknown, field: string): ParsedPipelineDocument {
  return specIssuesAt(field, () => checked(parsePipelineSpecObject(obj)));
}

/**
 * Runs `fn`, rethrowing a `SpecValidationError` with each issue path placed under `field`
 * (a parse error, whose path is the whole `document`, becomes `field` itself).
 */
export function specIssuesAt<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof SpecValidationError)) throw err;
    const at = (path: string) => (path === 'document' || !path ? field : path.startsWith('[') ? `${field}${path}` : `${field}.${path}`);
    const issues = err.issues.map((i) => ({ path: at(i.path), message: i.message }));
    throw new SpecValidationError(issues, err.message.split('\n')[0]);
  }
}

function checked(doc: ParsedPipelineDocument): ParsedPipelineDocument {
  return { ...doc, spec: validatePipelineSpec(doc.spec) };
}
