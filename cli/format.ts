import { RUN_STATES, type RunState } from '../ir/states';

/** Text helpers shared by every command's output. Pure: no I/O, no clock (callers pass `now`). */

const ANSI = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;
export type Color = keyof typeof ANSI;

/** Wraps `text` in an ANSI colour when `enabled`; callers pass false for pipes and NO_COLOR. */
export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled ? `\x1b[${ANSI[color]}m${text}\x1b[0m` : text;
}

const STATE_STYLE: Record<RunState, { symbol: string; color: Color }> = {
  PENDING: { symbol: '○', color: 'dim' },
  RUNNING: { symbol: '●', color: 'cyan' },
  SUCCEEDED: { symbol: '✔', color: 'green' },
  SKIPPED: { symbol: '↷', color: 'dim' },
  FAILED: { symbol: '✖', color: 'red' },
  CANCELING: { symbol: '◌', color: 'yellow' },
  CANCELED: { symbol: '⊘', color: 'yellow' },
  PAUSED: { symbol: '‖', color: 'yellow' },
};

/** A state with its symbol, e.g. `✔ SUCCEEDED`, coloured when `color` is true. */
export function formatState(state: RunState, color: boolean): string {
  const style = STATE_STYLE[state];
  return paint(`${style.symbol} ${state}`, style.color, color);
}

/** `2 succeeded, 1 running`, in the order of `RUN_STATES`; empty when every count is zero. */
export function formatCounts(counts: Partial<Record<RunState, number>>): string {
  return RUN_STATES.filter((s) => counts[s]).map((s) => `${counts[s]} ${s.toLowerCase()}`).join(', ');
}

/** How many of `states` are in each state. */
export function tally(states: Iterable<RunState>): Partial<Record<RunState, number>> {
  const counts: Partial<Record<RunState, number>> = {};
  for (const s of states) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/** `850ms`, `4.2s`, `42s`, `4m05s`, `2h03m`; `-` when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad2(Math.floor(seconds % 60))}s`;
  return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`;
}

/** From `start` to `end`, or to `now` while still going; undefined before it starts. */
export function elapsed(start: Date | undefined, end: Date | undefined, now: Date): number | undefined {
  return start ? (end ?? now).getTime() - start.getTime() : undefined;
}

/** Local wall-clock time, `12:00:01`. */
export function formatClock(date: Date): string {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

/** Local date and time, `2025-01-31 12:00:01`; `-` when unknown. */
export function formatTimestamp(date: Date | undefined): string {
  if (!date) return '-';
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${formatClock(date)}`;
}

/** A parameter value as one line: strings bare, everything else as JSON. */
export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A table cell: `text` decides the width, `styled` (the same text with ANSI codes) is what is printed. */
export type Cell = string | { text: string; styled: string };

/**
 * Left-aligned columns separated by two spaces, one string per line, no trailing spaces.
 * With `maxWidth`, the first column is cut (ending in `…`) so no line is wider, because a
 * wrapped line would break the live display's cursor arithmetic.
 */
export function renderTable(headers: string[], rows: Cell[][], opts: { maxWidth?: number; color?: boolean } = {}): string[] {
  const text = (c: Cell) => (typeof c === 'string' ? c : c.text);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => [...text(r[i] ?? '')].length)));
  if (opts.maxWidth !== undefined) {
    const rest = widths.slice(1).reduce((sum, w) => sum + w + 2, 0);
    widths[0] = Math.max(4, Math.min(widths[0], opts.maxWidth - rest));
  }
  const line = (cells: Cell[], isHeader: boolean) =>
    cells
      .map((cell, i) => {
        const plain = text(cell);
        const chars = [...plain];
        if (chars.length > widths[i]) return chars.slice(0, widths[i] - 1).join('') + '…';
        const padding = i === cells.length - 1 ? '' : ' '.repeat(widths[i] - chars.length);
        const shown = typeof cell === 'string' ? cell : cell.styled;
        return (isHeader ? paint(shown, 'bold', opts.color ?? false) : shown) + padding;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, true), ...rows.map((r) => line(r, false))];
}

/** `Label:  value` lines with the values aligned; a multi-line value is indented under its first line. */
export function renderFields(fields: [label: string, value: string][]): string[] {
  const width = Math.max(0, ...fields.map(([label]) => label.length + 1));
  return fields.flatMap(([label, value]) =>
    value.split('\n').map((part, i) => (i === 0 ? `${`${label}:`.padEnd(width)}  ${part}` : `${' '.repeat(width + 2)}${part}`).trimEnd()),
  );
}
