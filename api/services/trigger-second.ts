/**
 * Which second a recurring run's `:trigger` starts its run in. Temporal names a scheduled run's
 * workflow (and so Sluice's run id) after the second its start is timed at, so a trigger must
 * have a second no other trigger and no timed start of the same schedule has.
 */

/**
 * The first second (epoch seconds) at or after `now` and after `lastClaimed` (the last second any
 * trigger of the schedule claimed) that is not one of `timedStarts` (the schedule's next action
 * times, as epoch seconds).
 */
export function chooseTriggerSecond(lastClaimed: number, now: number, timedStarts: readonly number[]): number {
  const taken = new Set(timedStarts);
  let second = Math.max(lastClaimed + 1, now);
  while (taken.has(second)) second++;
  return second;
}

/**
 * How far into its claimed second a trigger may still be sent. Temporal times the start when its
 * scheduler workflow handles the trigger, a little after the call leaves (milliseconds, more on
 * a busy server); sent later than this, the start could fall into the next second, another
 * trigger's, so a late trigger claims a new second instead.
 */
export const TRIGGER_SEND_WINDOW_MS = 500;

/** Whether a trigger that claimed `second` may be sent at `nowMs` (epoch ms): its second has begun and is young enough. */
export function maySendTrigger(second: number, nowMs: number): boolean {
  const offset = nowMs - second * 1000;
  return offset >= 0 && offset < TRIGGER_SEND_WINDOW_MS;
}
