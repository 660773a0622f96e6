/**
 * Every pipeline kfp compiled for KFP's own tests must parse and either validate or be refused
 * only as not supported yet; every file in invalid/ must be rejected with a clear message.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SpecNotSupportedError, SpecValidationError } from '../../ir/errors';
import { parsePipelineDocument } from '../../ir/parse';
import { validatePipelineSpec } from '../../ir/validate';
import { KFP_CORPUS } from '../support/kfp-corpus';
import { saySkipped } from '../support/say-skipped';

const CORPUS = KFP_CORPUS;
const present = existsSync(CORPUS);
if (!present) saySkipped(`the kfp corpus tests: ${CORPUS} does not exist`);

function files(folder: string): string[] {
  const dir = join(CORPUS, folder);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

(present ? describe : describe.skip)('kfp corpus', () => {
  const accepted = ['critical', 'essential', 'failing'].flatMap((folder) => files(folder).map((file) => `${folder}/${file}`));

  test.each(accepted)('%s parses, and validates or is refused only as not supported yet', (file) => {
    const { spec } = parsePipelineDocument(readFileSync(join(CORPUS, file), 'utf8'));
    try {
      expect(validatePipelineSpec(spec)).toBe(spec);
    } catch (error) {
      if (!(error instanceof SpecNotSupportedError)) throw error;
      expect(error.issues.length).toBeGreaterThan(0);
      for (const issue of error.issues) expect(issue.message).toMatch(/not supported yet$/);
    }
  });

  // What each known file must be rejected for; a file added later just needs some clear issue.
  const expectedIssue: Record<string, string> = {
    'empty_file.yaml': 'document: file is empty',
    'empty_zip.zip': 'document: file is empty',
    'invalid-zip.zip': 'document: file is a ZIP archive',
    'invalid_yaml.yaml': 'components_1: unknown field',
    'no_name.yaml': 'pipelineInfo.name: required',
    'wrong_format.png': 'document: file is empty',
  };

  test.each(files('invalid'))('invalid/%s is rejected with a clear message', (file) => {
    let caught: unknown;
    try {
      const { spec } = parsePipelineDocument(readFileSync(join(CORPUS, 'invalid', file), 'utf8'));
      validatePipelineSpec(spec);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    expect(caught).not.toBeInstanceOf(SpecNotSupportedError);
    const issues = (caught as SpecValidationError).issues;
    expect(issues.length).toBeGreaterThan(0);
    expect((caught as Error).message).toContain(expectedIssue[file] ?? `${issues[0].path}: ${issues[0].message}`);
  });
});
