import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/config';
import { resolveStepUser, stepUserBlocked } from '../../worker/step-user';

describe('the user steps run as', () => {
  test('a root worker defaults to nobody; any other worker keeps its own user', () => {
    expect(resolveStepUser(undefined, 0)).toMatchObject({ name: 'nobody', uid: 65534 });
    expect(resolveStepUser(undefined, 1000)).toBeUndefined();
    expect(resolveStepUser('inherit', 1000)).toBeUndefined();
  });

  test('a root worker never runs steps as root, and says what to set instead', () => {
    expect(() => resolveStepUser('inherit', 0)).toThrow(/steps never run as root; set SLUICE_STEP_USER to an unprivileged user/);
    expect(() => resolveStepUser('root', 0)).toThrow(/never run as root/);
  });

  test('an unknown user, or another user without root, is a configuration error naming it', () => {
    expect(() => resolveStepUser('no-such-user-sluice', 0)).toThrow(ConfigError);
    expect(() => resolveStepUser('no-such-user-sluice', 0)).toThrow(/no user 'no-such-user-sluice'/);
    expect(() => resolveStepUser('nobody', 1000)).toThrow(/only a worker running as root/);
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
    const nobody = { name: 'nobody', uid: 65534, gid: 65534 };
    expect(stepUserBlocked(nobody, venv, join(base, 'artifacts'))).toBe(`'nobody' cannot enter ${hidden} (on the way to ${join(hidden, 'bin', 'python3')})`);
    chmodSync(hidden, 0o755);
    expect(stepUserBlocked(nobody, venv, join(base, 'artifacts'))).toBeUndefined();
  });
});
