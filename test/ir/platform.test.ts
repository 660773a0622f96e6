import { SpecNotSupportedError } from '../../ir/errors';
import { assertLocalRunnerSupports } from '../../ir/platform';

describe('Kubernetes platform config on the local runner', () => {
  test('a pipeline without platform config is fine', () => {
    expect(() => assertLocalRunnerSupports(undefined)).not.toThrow();
    expect(() => assertLocalRunnerSupports({ platforms: { kubernetes: { deploymentSpec: { executors: {} } } } })).not.toThrow();
  });

  test('each Kubernetes-only feature is refused by path and name', () => {
    const platform = {
      platforms: {
        kubernetes: {
          deploymentSpec: {
            executors: {
              'exec-comp': { secretAsEnv: [{ secretName: 's', keyToEnv: [] }], pvcMount: [{ mountPath: '/data' }] },
            },
          },
        },
      },
    };
    let error: unknown;
    try {
      assertLocalRunnerSupports(platform);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SpecNotSupportedError);
    expect((error as SpecNotSupportedError).issues).toEqual([
      { path: 'platforms.kubernetes.deploymentSpec.executors.exec-comp.secretAsEnv', message: expect.stringMatching(/'secretAsEnv' is not supported yet by the local process runner/) },
      { path: 'platforms.kubernetes.deploymentSpec.executors.exec-comp.pvcMount', message: expect.stringMatching(/'pvcMount' is not supported yet/) },
    ]);
  });
});
