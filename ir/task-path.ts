/**
 * A task's identity is its path: the DAG path from the root, each loop iteration's index, and
 * the task's own name, e.g. `root/for-loop-2[17]/train`. Task names in a DAG are unique, so the
 * path is unique within a run; it is the store key, the activity id, the basis of the launch name
 * and of the artifact layout. Pure, so workflows and activities derive the same strings.
 */
import { sha256Hex } from './sha256';

/** The path of the pipeline's own DAG; every task path starts with it. */
export const ROOT_PATH = 'root';

/** The path of task `taskName` inside the DAG instance at `dagPath`. */
export function childPath(dagPath: string, taskName: string): string {
  return `${dagPath}/${taskName}`;
}

/** The path of iteration `index` of the loop task at `loopPath`. */
export function iterationPath(loopPath: string, index: number): string {
  return `${loopPath}[${index}]`;
}

/** The path of the DAG instance that holds `path` (an iteration's parent is its loop); undefined for the root. */
export function parentPath(path: string): string | undefined {
  if (path.endsWith(']')) return path.slice(0, path.lastIndexOf('['));
  const slash = path.lastIndexOf('/');
  return slash < 0 ? undefined : path.slice(0, slash);
}

/** What a user calls the task: its name in its DAG, or `name[i]` for a loop iteration. */
export function displayNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The loop iteration index of an iteration path, else undefined. */
export function iterationIndexOf(path: string): number | undefined {
  const match = /\[(\d+)\]$/.exec(path);
  return match ? Number(match[1]) : undefined;
}

const DNS_LABEL_MAX = 63;
const HASH_LENGTH = 10;

/**
 * A DNS-1123 label (lowercase alphanumerics and `-`, at most 63 characters, starting and ending
 * alphanumeric) for launch `launch` of the task at `path` in run `runId`: the same inputs always
 * give the same name, so a retried activity finds its process or pod. The readable part is
 * lowercased and cut, and a hash of the exact (case-sensitive) inputs is appended whenever that
 * loses information, so `Train`/`train` or `a_b`/`a-b` never collide.
 */
export function launchNameFor(runId: string, path: string, launch: number): string {
  const exact = `${runId}-${path}-${launch}`;
  const readable = dnsSafe(exact);
  if (readable === exact && readable.length <= DNS_LABEL_MAX) return readable;
  const hash = sha256Hex(exact).slice(0, HASH_LENGTH);
  const suffix = `-${launch}-${hash}`;
  const head = dnsSafe(`${runId.slice(0, 8)}-${path.replace(/^root\//, '')}`).slice(0, DNS_LABEL_MAX - suffix.length).replace(/-+$/, '');
  return `${head || 'task'}${suffix}`;
}

/**
 * `text` with what a DNS-1123 label cannot hold removed: lowercased, every run of other characters
 * one `-`, no `-` at either end. Not yet a label: it may be empty or too long (callers cut and hash).
 */
export function dnsSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * The task's directory below its run's root, one path segment per DAG level: `[i]` becomes its
 * own segment (`for-loop-2/17/train`), so no segment is `..` or contains a separator. Task names
 * are validated as path segments at upload; this is the layout, not the guard.
 */
export function layoutSegments(path: string): string[] {
  return path
    .split('/')
    .flatMap((segment) => {
      const match = /^(.*)\[(\d+)\]$/.exec(segment);
      return match ? [match[1], match[2]] : [segment];
    });
}
