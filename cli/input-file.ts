import { readFileSync } from 'node:fs';
import { UsageError } from './exit-codes';

/** The file's text. Throws `UsageError` saying why it cannot be read (missing, a directory, no permission). */
export function readInputFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read ${path}: ${reason}`, { cause: err });
  }
}
