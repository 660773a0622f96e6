import { stringify } from 'yaml';
import type { PipelineSpec } from '../ir/types';

/**
 * YAML 1.1 quoting keeps strings such as `on` or `yes` strings for YAML 1.1 readers (PyYAML in
 * the kfp SDK, go-yaml in KFP's backend). Literal blocks and no line folding keep embedded
 * scripts and structured arguments readable, and golden-file diffs line by line.
 */
const OPTIONS = {
  version: '1.1',
  sortMapEntries: true,
  singleQuote: true,
  indentSeq: false,
  blockQuote: 'literal',
  lineWidth: 0,
} as const;

/** A compiled spec as YAML, laid out like KFP's compiler output: the `# PIPELINE DEFINITION` header and sorted keys. */
export function toYaml(spec: PipelineSpec): string {
  const header = `# PIPELINE DEFINITION\n# Name: ${spec.pipelineInfo.name}\n`;
  const description = spec.pipelineInfo.description
    ? spec.pipelineInfo.description.split('\n').map((line, i) => `# ${i === 0 ? 'Description: ' : ''}${line}\n`).join('')
    : '';
  return header + description + stringify(spec, OPTIONS);
}
