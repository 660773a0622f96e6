/**
 * Fixture access for the spec tests: each call returns a fresh copy of a YAML fixture, so a
 * test can mutate it freely.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { PipelineSpec } from '../../ir/types';

export const FIXTURE_DIR = join(__dirname, 'fixtures');

export function readFixture(name: string): string {
  return readFileSync(join(FIXTURE_DIR, name), 'utf8');
}

/** A fresh, mutable copy of `fixtures/base.yaml` (prepare -> train -> evaluate). */
export function baseSpec(): PipelineSpec {
  return YAML.parse(readFixture('base.yaml')) as PipelineSpec;
}

function walk(doc: unknown, path: string): { parent: Record<string, unknown>; key: string } {
  const keys = path.split('.');
  let node = doc as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  return { parent: node, key: keys[keys.length - 1] };
}

/** Sets a value at a dotted path (keys must not contain dots), creating mappings on the way. */
export function setPath(doc: unknown, path: string, value: unknown): void {
  const { parent, key } = walk(doc, path);
  parent[key] = value;
}

export function deletePath(doc: unknown, path: string): void {
  const { parent, key } = walk(doc, path);
  delete parent[key];
}

export function getPath(doc: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
}
