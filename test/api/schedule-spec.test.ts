import { parseCron, schedulePolicies, toScheduleSpec } from '../../api/schedule-spec';
import { InvalidArgumentError } from '../../api/errors';

const field = 'trigger.cron_schedule.cron';

/** The field an InvalidArgumentError names, or the error itself if something else was thrown. */
function violation(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidArgumentError) return err.violations[0];
    throw err;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('parseCron (KFP cron → Temporal calendars)', () => {
  test("KFP's 6-field form has seconds first", () => {
    expect(parseCron('0 0 9 ? * 2-6', field)).toEqual({
      calendars: [{
        second: [{ start: 0, end: 0, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
        hour: [{ start: 9, end: 9, step: 1 }],
        dayOfMonth: [{ start: 1, end: 31, step: 1 }],
        month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
        dayOfWeek: [{ start: 'TUESDAY', end: 'SATURDAY', step: 1 }],
        year: '*',
      }],
    });
  });

  test('the usual 5 fields run at second 0', () => {
    const { calendars } = parseCron('*/15 8-18/2 * JAN,jul MON-FRI', field);
    expect(calendars).toEqual([expect.objectContaining({
      second: [{ start: 0, end: 0, step: 1 }],
      minute: [{ start: 0, end: 59, step: 15 }],
      hour: [{ start: 8, end: 18, step: 2 }],
      month: [{ start: 'JANUARY', end: 'JANUARY', step: 1 }, { start: 'JULY', end: 'JULY', step: 1 }],
      dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
    })]);
  });

  test("`a/n` is robfig/cron's a-max/n", () => {
    expect(parseCron('5/20 * * * * *', field).calendars?.[0].second).toEqual([{ start: 5, end: 59, step: 20 }]);
  });

  test('both day fields restricted: either matches, as two calendars', () => {
    const { calendars } = parseCron('0 0 1 15 * 1', field);
    expect(calendars).toHaveLength(2);
    expect(calendars?.[0]).toMatchObject({ dayOfMonth: [{ start: 15, end: 15, step: 1 }], dayOfWeek: '*' });
    expect(calendars?.[1]).toMatchObject({ dayOfMonth: '*', dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }] });
  });

  test('day of week 7 is Sunday', () => {
    expect(parseCron('0 0 * * 5-7', field).calendars?.[0].dayOfWeek).toEqual([
      { start: 'FRIDAY', end: 'SATURDAY', step: 1 },
      { start: 'SUNDAY', end: 'SUNDAY', step: 1 },
    ]);
  });

  test('descriptors', () => {
    expect(parseCron('@hourly', field).calendars?.[0]).toMatchObject({ minute: [{ start: 0, end: 0, step: 1 }], hour: [{ start: 0, end: 23, step: 1 }] });
    expect(parseCron('@every 1h30m', field)).toEqual({ intervals: [{ every: 5_400_000 }] });
  });

  test.each([
    ['* * * *', /expected 6 fields/],
    ['* * * * * * *', /got 7/],
    ['60 * * * * *', /second "60": 60 is outside 0-59/],
    ['0 0 25 * * *', /hour "25"/],
    ['0 0 0 0 * *', /day of month "0"/],
    ['0 0 0 * 13 *', /month "13"/],
    ['0 0 0 * * 8', /day of week "8"/],
    ['0 0 0 * FOO *', /"FOO" is not a number or a name/],
    ['0 10-5 * * * *', /runs backwards/],
    ['0 */0 * * * *', /step "0"/],
    ['0 1,,2 * * * *', /empty list item/],
    ['@fortnightly', /unknown descriptor/],
    ['@every 0s', /at least 1s/],
  ])('%s is refused, naming the field', (cron, message) => {
    expect(violation(() => parseCron(cron, field))).toEqual({ field, description: expect.stringMatching(message) });
  });
});

describe('toScheduleSpec', () => {
  const created = new Date('2026-01-01T00:00:07Z');

  test('a periodic trigger fires at start + k·interval, aligned by the offset', () => {
    const start = new Date('2026-03-01T10:00:05Z');
    expect(toScheduleSpec({ periodic: { intervalSecond: 60, startTime: start } }, created)).toEqual({
      intervals: [{ every: 60_000, offset: 5_000 }],
      startAt: new Date('2026-03-01T10:00:06Z'),
    });
    expect(toScheduleSpec({ periodic: { intervalSecond: 10 } }, created).intervals).toEqual([{ every: 10_000, offset: 7_000 }]);
  });

  test('cron keeps its window and time zone (UTC when absent)', () => {
    const spec = toScheduleSpec({ cron: { cron: '0 0 9 * * *', startTime: created, endTime: new Date('2027-01-01Z'), timeZone: 'Europe/Paris' } }, created);
    expect(spec).toMatchObject({ startAt: created, endAt: new Date('2027-01-01Z'), timezone: 'Europe/Paris' });
    expect(toScheduleSpec({ cron: { cron: '0 0 9 * * *' } }, created).timezone).toBe('UTC');
  });

  test.each([
    [{ periodic: { intervalSecond: 0 } }, 'trigger.periodic_schedule.interval_second'],
    [{ periodic: { intervalSecond: 1.5 } }, 'trigger.periodic_schedule.interval_second'],
    [{ periodic: { intervalSecond: 5, startTime: new Date('2026-02-01Z'), endTime: new Date('2026-01-01Z') } }, 'trigger.periodic_schedule.end_time'],
    [{ cron: { cron: '0 * * * * *', timeZone: 'Mars/Olympus' } }, 'trigger.cron_schedule.time_zone'],
  ])('%j is refused at %s', (trigger, at) => {
    expect(violation(() => toScheduleSpec(trigger, created))).toMatchObject({ field: at });
  });
});

describe('schedulePolicies', () => {
  test('one run at a time; catch-up queues every missed start, no_catchup only the latest', () => {
    expect(schedulePolicies(1, false)).toEqual({ overlap: 'BUFFER_ALL', catchupWindow: 365 * 24 * 3600 * 1000 });
    expect(schedulePolicies(1, true)).toEqual({ overlap: 'BUFFER_ONE', catchupWindow: 10_000 });
  });

  test('more than one concurrent run cannot be bounded by a Schedule and is refused', () => {
    expect(violation(() => schedulePolicies(3, false))).toMatchObject({ field: 'max_concurrency' });
  });
});
