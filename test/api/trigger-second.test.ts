import { TRIGGER_SEND_WINDOW_MS, chooseTriggerSecond, maySendTrigger } from '../../api/services/trigger-second';

describe('chooseTriggerSecond (the second a :trigger starts its run in)', () => {
  const now = 1_800_000_000;
  test.each<[string, number, number[], number]>([
    ['no trigger yet: now', 0, [], now],
    ['the last claim long past: now', now - 60, [], now],
    ['claimed this second already: the next', now, [], now + 1],
    ['claims queued ahead: the one after them', now + 3, [], now + 4],
    ['now holds a timed start: the following second', 0, [now], now + 1],
    ['a run of timed starts: past all of them', now - 1, [now, now + 1, now + 2], now + 3],
    ['timed starts elsewhere change nothing', now + 1, [now, now + 1, now + 5], now + 2],
    ['a timed start right after the last claim: skipped', now + 1, [now + 2], now + 3],
    ['timed starts in any order', 0, [now + 1, now], now + 2],
  ])('%s', (_, lastClaimed, timedStarts, expected) => {
    expect(chooseTriggerSecond(lastClaimed, now, timedStarts)).toBe(expected);
  });
});

describe('maySendTrigger (whether a claimed second is still young enough to trigger in)', () => {
  const second = 1_800_000_000;
  test.each<[string, number, boolean]>([
    ['before the second begins', second * 1000 - 1, false],
    ['as it begins', second * 1000, true],
    ['early in it', second * 1000 + 120, true],
    ['at the end of the window', second * 1000 + TRIGGER_SEND_WINDOW_MS - 1, true],
    ['past the window', second * 1000 + TRIGGER_SEND_WINDOW_MS, false],
    ['in a later second', (second + 1) * 1000 + 10, false],
  ])('%s', (_, nowMs, expected) => {
    expect(maySendTrigger(second, nowMs)).toBe(expected);
  });
});
