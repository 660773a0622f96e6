import { existsSync, mkdirSync, mkdtempSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectRuntimeGarbage, usageMarker } from '../../worker/runtime-gc';

const DAY = 24 * 60 * 60 * 1000;

describe("cleaning the steps' runtime root", () => {
  test('runtimes and environments unused past the retention go, with abandoned builds; the current runtime and recent ones stay', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-gc-'));
    const now = Date.now();
    const make = (rel: string, ageMs: number) => {
      const dir = join(root, rel);
      mkdirSync(join(dir, 'lib'), { recursive: true });
      utimesSync(dir, new Date(now - ageMs), new Date(now - ageMs));
      return dir;
    };
    const current = make('python-aaaaaaaaaaaaaaaa', 90 * DAY);
    const oldRuntime = make('python-bbbbbbbbbbbbbbbb', 31 * DAY);
    const recentRuntime = make('python-cccccccccccccccc', 2 * DAY);
    const oldEnv = make('envs/0123456789abcdef01234567', 40 * DAY);
    const recentEnv = make('envs/fedcba9876543210fedcba98', 29 * DAY);
    const abandoned = make('envs/.build-1234', 2 * 60 * 60 * 1000);
    const building = make('envs/.build-5678', 60 * 1000);
    const unknown = make('envs/not-an-env', 400 * DAY);

    const removed = await collectRuntimeGarbage(root, current, 30 * DAY, now);

    expect(removed.sort()).toEqual([abandoned, oldEnv, oldRuntime].sort());
    for (const dir of [current, recentRuntime, recentEnv, building, unknown]) expect(existsSync(dir)).toBe(true);
  });

  test('a use refreshes the last-use time, at most once an hour', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-gc-used-'));
    const old = new Date(Date.now() - 10 * DAY);
    utimesSync(dir, old, old);
    const mark = usageMarker();
    await mark(dir);
    expect(Date.now() - statSync(dir).mtimeMs).toBeLessThan(DAY);
    utimesSync(dir, old, old);
    await mark(dir);
    expect(Math.round(statSync(dir).mtimeMs)).toBe(old.getTime());
  });
});
