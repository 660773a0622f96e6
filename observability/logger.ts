import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Structured JSON lines on stdout (`sluice api`, `sluice worker`, the chart's pods), one object
 * per event, with `runId` and `taskPath` wherever a run or task is involved, so a log pipeline
 * can follow one task across processes.
 */
export function jsonLogger(level: LogLevel, destination: pino.DestinationStream = pino.destination({ fd: 1, sync: false })): Logger {
  return pino({ level, base: { service: 'sluice' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/**
 * The same events as one readable line each, for an interactive command (`sluice dev`) whose
 * output a person reads: the message, then the event's fields as `key=value`.
 */
export function lineLogger(level: LogLevel, write: (line: string) => void): Logger {
  return pino({ level, base: undefined, timestamp: false }, { write: (json: string) => write(readableLine(json)) });
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

function readableLine(json: string): string {
  const { level, msg, ...fields } = JSON.parse(json) as { level: number; msg?: string } & Record<string, unknown>;
  const prefix = level >= 40 ? `${LEVEL_NAMES[level]}: ` : '';
  const rest = Object.entries(fields).map(([key, value]) => `${key}=${readableValue(value)}`);
  return [`${prefix}${msg ?? ''}`, ...rest].join(' ');
}

/** An error (pino's `err` object) as its message: its stack is for the JSON log. */
function readableValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'message' in value) return String(value.message);
  return JSON.stringify(value);
}
