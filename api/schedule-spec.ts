import type { CalendarSpec, DayOfWeek, Month, Range, ScheduleOverlapPolicy, ScheduleSpec } from '@temporalio/client';
import { InvalidArgumentError } from './errors';

/**
 * KFP's recurring-run trigger → Temporal's `ScheduleSpec` and policies. Pure: no clock (the
 * creation time is passed in), no I/O. Temporal reads a 6-field cron string as
 * `minute … day_of_week year`, not as KFP's (robfig/cron's) `second minute … day_of_week`, so
 * cron is converted here into Temporal's structured calendar spec instead of being passed on.
 */

/** `trigger.cron_schedule` (KFP), with Sluice's `time_zone` (an IANA name; UTC when absent). */
export interface CronTrigger {
  cron: string;
  startTime?: Date;
  endTime?: Date;
  timeZone?: string;
}

/** `trigger.periodic_schedule` (KFP). */
export interface PeriodicTrigger {
  intervalSecond: number;
  startTime?: Date;
  endTime?: Date;
}

export type Trigger = { cron: CronTrigger } | { periodic: PeriodicTrigger };

/**
 * The schedule's times. A periodic trigger fires, as KFP's does, at start + k·interval for k ≥ 1
 * (start being `start_time`, else the creation time): Temporal's intervals count from the epoch,
 * so the offset aligns them to the start, and `startAt` one second past it leaves the start itself
 * out. `fieldPath` prefixes the field named by an `InvalidArgumentError` (`trigger.cron_schedule.cron`).
 *
 * @throws InvalidArgumentError naming the offending field.
 */
export function toScheduleSpec(trigger: Trigger, createdAt: Date, fieldPath = 'trigger'): ScheduleSpec {
  if ('cron' in trigger) {
    const { cron, startTime, endTime, timeZone } = trigger.cron;
    const at = `${fieldPath}.cron_schedule`;
    checkWindow(startTime, endTime, at);
    if (timeZone !== undefined && !isTimeZone(timeZone)) {
      throw InvalidArgumentError.of(`${at}.time_zone`, `"${timeZone}" is not an IANA time zone name (e.g. Europe/Paris, UTC)`);
    }
    const parsed = parseCron(cron, `${at}.cron`);
    return {
      ...parsed,
      ...(startTime ? { startAt: startTime } : {}),
      ...(endTime ? { endAt: endTime } : {}),
      timezone: timeZone ?? 'UTC',
    };
  }
  const { intervalSecond, startTime, endTime } = trigger.periodic;
  const at = `${fieldPath}.periodic_schedule`;
  if (!Number.isInteger(intervalSecond) || intervalSecond < 1) {
    throw InvalidArgumentError.of(`${at}.interval_second`, `must be a whole number of seconds, at least 1; got ${intervalSecond}`);
  }
  checkWindow(startTime, endTime, at);
  const start = startTime ?? createdAt;
  const startSecond = Math.floor(start.getTime() / 1000);
  return {
    intervals: [{ every: intervalSecond * 1000, offset: (startSecond % intervalSecond) * 1000 }],
    startAt: new Date((startSecond + 1) * 1000),
    ...(endTime ? { endAt: endTime } : {}),
  };
}

/**
 * KFP's `max_concurrency` and `no_catchup` as Temporal's overlap policy and catch-up window.
 * KFP starts no run while `max_concurrency` runs are active and, unless `no_catchup`, later runs
 * every time it missed, one after another; with `no_catchup` only the latest. Temporal's policies
 * bound overlap at one run: BUFFER_ALL (queue every start that fell due while a run was active)
 * and BUFFER_ONE (keep only the latest). A catch-up window of a year (Temporal's default) makes
 * up for a Temporal outage; with `no_catchup`, starts more than `NO_CATCHUP_WINDOW_MS` late
 * (Temporal's minimum) are dropped.
 *
 * @throws InvalidArgumentError (`max_concurrency`) for more than one run at a time, which a
 *   Temporal Schedule cannot bound (ALLOW_ALL would not bound it at all).
 */
export function schedulePolicies(maxConcurrency: number, noCatchup: boolean): { overlap: ScheduleOverlapPolicy; catchupWindow: number } {
  if (maxConcurrency !== 1) {
    throw InvalidArgumentError.of(
      'max_concurrency',
      `must be 1: a Temporal Schedule can keep a recurring run to one run at a time, but cannot bound it at ${maxConcurrency}`,
    );
  }
  return noCatchup ? { overlap: 'BUFFER_ONE', catchupWindow: NO_CATCHUP_WINDOW_MS } : { overlap: 'BUFFER_ALL', catchupWindow: CATCHUP_WINDOW_MS };
}

/** Temporal refuses a shorter catch-up window. */
export const NO_CATCHUP_WINDOW_MS = 10_000;
const CATCHUP_WINDOW_MS = 365 * 24 * 3600 * 1000;

function checkWindow(start: Date | undefined, end: Date | undefined, at: string): void {
  if (start && end && end.getTime() <= start.getTime()) {
    throw InvalidArgumentError.of(`${at}.end_time`, `must be after start_time (${start.toISOString()})`);
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTHS: readonly Month[] = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
const DAYS: readonly DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

const FIELDS: readonly FieldDef[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // 7 is Sunday too, as in most crons (robfig/cron, which KFP uses, accepts only 0).
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES },
];

/** robfig/cron's descriptors, as KFP accepts them. */
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

interface ParsedField {
  ranges: Range<number>[];
  /** Began with `*` or `?`: cron ANDs day of month with day of week only when one of them does. */
  star: boolean;
}

/**
 * A cron expression as KFP reads it (robfig/cron): six fields `second minute hour day-of-month
 * month day-of-week`, or the usual five without seconds; lists, ranges, steps (`*\/5`, `1-10/2`,
 * `3/10`), `?`, month and day names, and the descriptors `@hourly` … `@yearly` and `@every <Go
 * duration>`. As in cron, when both day fields are restricted a day matching either is a match;
 * Temporal ANDs a calendar's fields, so that case becomes two calendars.
 *
 * @throws InvalidArgumentError naming `field`, with the part that is wrong.
 */
export function parseCron(expression: string, field: string): Pick<ScheduleSpec, 'calendars' | 'intervals'> {
  const text = expression.trim();
  const fail = (why: string): never => {
    throw InvalidArgumentError.of(field, `"${expression}" is not a cron expression: ${why}`);
  };
  if (text.startsWith('@every')) {
    const ms = parseGoDuration(text.slice('@every'.length).trim());
    if (ms === undefined || ms < 1000) fail('@every needs a duration of at least 1s, like 90s, 5m or 1h30m');
    return { intervals: [{ every: ms as number }] };
  }
  const expanded = text.startsWith('@') ? (DESCRIPTORS[text.toLowerCase()] ?? fail(`unknown descriptor ${text}`)) : text;
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    fail(`expected 6 fields (second minute hour day-of-month month day-of-week) or 5 (without seconds), got ${parts.length}`);
  }
  const fields = parts.length === 5 ? ['0', ...parts] : parts;
  const parsed = fields.map((f, i) => parseField(f, FIELDS[i], fail));
  const [second, minute, hour, dom, month, dow] = parsed;
  const base: CalendarSpec = {
    second: second.ranges,
    minute: minute.ranges,
    hour: hour.ranges,
    month: month.ranges.map((r) => namedRange(r, (n) => MONTHS[n - 1])),
    year: '*',
  };
  const daysOfWeek = sundayOnce(dow.ranges).map((r) => namedRange(r, (n) => DAYS[n]));
  if (dom.star || dow.star) return { calendars: [{ ...base, dayOfMonth: dom.ranges, dayOfWeek: daysOfWeek }] };
  return { calendars: [{ ...base, dayOfMonth: dom.ranges, dayOfWeek: '*' }, { ...base, dayOfMonth: '*', dayOfWeek: daysOfWeek }] };
}

function parseField(text: string, def: FieldDef, fail: (why: string) => never): ParsedField {
  const wrong = (why: string): never => fail(`${def.name} "${text}": ${why}`);
  const value = (s: string): number => {
    const byName = def.names?.indexOf(s.toUpperCase()) ?? -1;
    if (byName >= 0) return def.name === 'month' ? byName + 1 : byName;
    if (!/^\d+$/.test(s)) wrong(`"${s}" is not a number${def.names ? ' or a name' : ''}`);
    const n = Number(s);
    if (n < def.min || n > def.max) wrong(`${n} is outside ${def.min}-${def.max}`);
    return n;
  };
  let star = false;
  const ranges = text.split(',').map((item): Range<number> => {
    if (item === '') wrong('empty list item');
    const [span, stepText, ...extra] = item.split('/');
    if (extra.length) wrong('more than one "/"');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || !/^\d+$/.test(stepText ?? '1')) wrong(`step "${stepText}" is not a positive whole number`);
    let start: number;
    let end: number;
    if (span === '*' || span === '?') {
      star = true;
      // Day of week 7 is an alias, not an eighth day.
      [start, end] = [def.min, def.name === 'day of week' ? 6 : def.max];
    } else if (span.includes('-')) {
      const [a, b, ...more] = span.split('-');
      if (more.length) wrong('more than one "-"');
      [start, end] = [value(a), value(b)];
      if (start > end) wrong(`range ${span} runs backwards`);
    } else {
      start = value(span);
      // `a/n` is robfig/cron's `a-max/n`.
      end = stepText === undefined ? start : def.max;
    }
    return { start, end, step };
  });
  return { ranges, star };
}

/** Day of week 7 (Sunday) as 0: a range ending at 7 becomes one ending at 6 plus Sunday when its step reaches 7. */
function sundayOnce(ranges: Range<number>[]): Range<number>[] {
  return ranges.flatMap((r) => {
    const end = r.end ?? r.start;
    if (end < 7) return [r];
    const step = r.step ?? 1;
    const reachesSeven = (7 - r.start) % step === 0;
    const rest: Range<number>[] = r.start <= 6 ? [{ start: r.start, end: 6, step }] : [];
    return reachesSeven ? [...rest, { start: 0, end: 0, step: 1 }] : rest;
  });
}

function namedRange<T>(r: Range<number>, name: (n: number) => T): Range<T> {
  return { start: name(r.start), end: name(r.end ?? r.start), step: r.step };
}

/** A Go duration (`1h30m`, `90s`, `1.5h`) in milliseconds; undefined when malformed. */
function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(n) * units[unit];
  return total;
}
