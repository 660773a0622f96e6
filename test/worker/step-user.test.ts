import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/config';
import { privateTmpFor, resolveStepUser, STASHES, stepUserBlocked } from '../../worker/step-user';
import { saySkipped } from '../support/say-skipped';

const UIDS = '2000000000-2000065535';

describe('the user steps run as', () => {
  test('a root worker defaults to a uid per launch from the range; any other worker keeps its own user', () => {
    expect(resolveStepUser(undefined, UIDS, 0)).toEqual({
      name: 'per-launch uids 2000000001-2000065535',
      users: { kind: 'per-launch', first: 2000000001, count: 65535 },
      gid: 2000000000,
      builder: { uid: 2000000000, gid: 2000000000 },
    });
    expect(resolveStepUser('nobody', UIDS, 0)).toMatchObject({ name: 'nobody', users: { kind: 'fixed', uid: 65534 } });
    expect(resolveStepUser(undefined, UIDS, 1000)).toBeUndefined();
    expect(resolveStepUser('inherit', UIDS, 1000)).toBeUndefined();
  });

  test.each(['', '5-4', '0-100', 'a-b', '2000000000', '2000000000-4294967295'])('a uid range %p is refused, naming the setting', (uids) => {
    expect(() => resolveStepUser(undefined, uids, 0)).toThrow(/^stepUids: /);
  });

  test('a root worker never runs steps as root, and says what to set instead', () => {
    expect(() => resolveStepUser('inherit', UIDS, 0)).toThrow(/steps never run as root; leave SLUICE_STEP_USER unset/);
    expect(() => resolveStepUser('root', UIDS, 0)).toThrow(/never run as root/);
  });

  test('an unknown user, or another user without root, is a configuration error naming it', () => {
    expect(() => resolveStepUser('no-such-user-sluice', UIDS, 0)).toThrow(ConfigError);
    expect(() => resolveStepUser('no-such-user-sluice', UIDS, 0)).toThrow(/no user 'no-such-user-sluice'/);
    expect(() => resolveStepUser('nobody', UIDS, 1000)).toThrow(/only a worker running as root/);
  });

  test('an interpreter behind a private directory blocks the step user, naming the directory', () => {
    const base = mkdtempSync(join(tmpdir(), 'sluice-user-'));
    chmodSync(base, 0o755);
    const hidden = join(base, 'private');
    mkdirSync(join(hidden, 'bin'), { recursive: true });
    writeFileSync(join(hidden, 'bin', 'python3'), '');
    chmodSync(hidden, 0o700);
    const venv = join(base, 'venv');
    mkdirSync(join(venv, 'bin'), { recursive: true });
    symlinkSync(join(hidden, 'bin', 'python3'), join(venv, 'bin', 'python3'));
    const nobody = { name: 'nobody' };
    expect(stepUserBlocked(nobody, venv, join(base, 'artifacts'))).toBe(`steps (nobody) cannot enter ${hidden} (on the way to ${join(hidden, 'bin', 'python3')})`);
    chmodSync(hidden, 0o755);
    expect(stepUserBlocked(nobody, venv, join(base, 'artifacts'))).toBeUndefined();
  });
});

describe("a step's own /tmp and /var/tmp", () => {
  const stash = expect.stringMatching(/^\/(mnt|media|srv|opt)$/) as unknown;

  test("keeps the outermost of Sluice's directories that lie under the host's /tmp or /var/tmp, and nothing else", () => {
    expect(privateTmpFor(['/tmp/x/data', '/tmp/x/data/artifacts', '/tmp/y', '/var/lib/sluice', '/var/tmp/z/runtime', '/var/tmp/z'])).toEqual({
      stash,
      dirs: [
        { path: '/tmp', keep: ['/tmp/x/data', '/tmp/y'] },
        { path: '/var/tmp', keep: ['/var/tmp/z'] },
      ],
    });
    expect(privateTmpFor(['/var/lib/sluice'])?.dirs).toEqual([
      { path: '/tmp', keep: [] },
      { path: '/var/tmp', keep: [] },
    ]);
  });

  const stashes = STASHES.filter((dir) => existsSync(dir));
  if (stashes.length < 2) saySkipped('a step\'s /tmp: the stash choice needs two of /mnt, /media, /srv and /opt, and this host has fewer');
  (stashes.length >= 2 ? test : test.skip)('holds the host\'s /tmp meanwhile at a directory that holds none of them', () => {
    const [first, second] = stashes;
    expect(privateTmpFor(['/var/lib/sluice'])?.stash).toBe(first);
    expect(privateTmpFor([`${first}/data/sluice`, '/var/lib/sluice'])?.stash).toBe(second);
    expect(privateTmpFor(stashes.map((dir) => `${dir}/data`))).toBeUndefined();
  });

  test('is not possible when /tmp itself is one of them; /var/tmp stays the host\'s when it is one', () => {
    expect(privateTmpFor(['/tmp', '/var/lib/sluice'])).toBeUndefined();
    expect(privateTmpFor(['/var/tmp', '/tmp/x'])).toEqual({ stash, dirs: [{ path: '/tmp', keep: ['/tmp/x'] }] });
  });
});
