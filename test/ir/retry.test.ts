import { SpecValidationError } from '../../ir/errors';
import { parseDurationMs, toRetrySettings, type RetrySettings } from '../../ir/retry';
import type { RetryPolicy } from '../../ir/types';

/** attempts, initial interval (ms), coefficient, maximum interval (ms) */
function settings(maxStepAttempts: number, initialIntervalMs: number, backoffCoefficient: number, maximumIntervalMs: number): RetrySettings {
  return { maxStepAttempts, initialIntervalMs, backoffCoefficient, maximumIntervalMs };
}

describe('toRetrySettings', () => {
  const cases: Array<[string, RetryPolicy | undefined, RetrySettings]> = [
    ['no policy: one attempt', undefined, settings(1, 1, 2, 3_600_000)],
    ['an empty policy: no retry', {}, settings(1, 1, 2, 3_600_000)],
    [
      "kfp's set_retry(3) as compiled",
      { maxRetryCount: 3, backoffDuration: '0s', backoffFactor: 2.0, backoffMaxDuration: '3600s' },
      settings(4, 1, 2, 3_600_000),
    ],
    [
      'explicit values',
      { maxRetryCount: 2, backoffDuration: '1.5s', backoffFactor: 3, backoffMaxDuration: '60s' },
      settings(3, 1500, 3, 60_000),
    ],
    ['a factor below 1 is raised to 1', { maxRetryCount: 1, backoffFactor: 0.5 }, settings(2, 1, 1, 3_600_000)],
    ['a negative factor is raised to 1', { maxRetryCount: 1, backoffFactor: -2 }, settings(2, 1, 1, 3_600_000)],
    ['a zero factor means the default 2', { maxRetryCount: 1, backoffFactor: 0 }, settings(2, 1, 2, 3_600_000)],
    ['a max duration over 1 h is capped', { maxRetryCount: 1, backoffMaxDuration: '7200s' }, settings(2, 1, 2, 3_600_000)],
    ['a max duration of 0s means 1 h', { maxRetryCount: 1, backoffMaxDuration: '0s' }, settings(2, 1, 2, 3_600_000)],
    [
      'a max below the initial interval is raised to it',
      { maxRetryCount: 1, backoffDuration: '120s', backoffMaxDuration: '60s' },
      settings(2, 120_000, 2, 120_000),
    ],
    ['fractional seconds', { maxRetryCount: 5, backoffDuration: '0.25s' }, settings(6, 250, 2, 3_600_000)],
  ];
  test.each(cases)('%s', (_name, policy, expected) => {
    expect(toRetrySettings(policy)).toEqual(expected);
  });

  test('reports every invalid field under the given path', () => {
    let caught: unknown;
    try {
      toRetrySettings(
        { maxRetryCount: 1.5, backoffDuration: '2m', backoffFactor: Number.NaN, backoffMaxDuration: '-1s' },
        'root.dag.tasks.train.retryPolicy',
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    expect((caught as SpecValidationError).issues.map((issue) => issue.path)).toEqual([
      'root.dag.tasks.train.retryPolicy.maxRetryCount',
      'root.dag.tasks.train.retryPolicy.backoffFactor',
      'root.dag.tasks.train.retryPolicy.backoffDuration',
      'root.dag.tasks.train.retryPolicy.backoffMaxDuration',
    ]);
  });
});

describe('parseDurationMs', () => {
  test.each([
    ['0s', 0],
    ['60s', 60_000],
    ['1.5s', 1500],
    ['0.000000001s', 0.000001],
    ['3600s', 3_600_000],
  ])('%s', (text, ms) => {
    expect(parseDurationMs(text, 'd')).toBeCloseTo(ms, 9);
  });

  test.each(['', '5', '1.5 s', '-1s', '1m', '1.1234567891s', 'PT5S'])('refuses %j', (text) => {
    expect(() => parseDurationMs(text, 'retryPolicy.backoffDuration')).toThrow(
      `retryPolicy.backoffDuration: expected a duration such as "0s", "1.5s" or "3600s", got ${JSON.stringify(text)}`,
    );
  });

  test('refuses a number', () => {
    expect(() => parseDurationMs(5, 'd')).toThrow('got 5');
  });
});
