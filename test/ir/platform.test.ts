import { SpecNotSupportedError } from '../../ir/errors';
import { assertLocalRunnerSupports, executorTimeoutSeconds } from '../../ir/platform';
import type { PipelineSpec } from '../../ir/types';

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

describe('executors only a cluster can carry out', () => {
  const spec = (executors: Record<string, unknown>) => ({ deploymentSpec: { executors } }) as unknown as PipelineSpec;

  test.each([
    ['kfp-kubernetes CreatePVC', { container: { image: 'argostub/createpvc' } }, 'container.image', /kubernetes\.CreatePVC \(argostub\/createpvc\) is not supported by the local process runner: .*needs the Kubernetes runner \(SLUICE_RUNNER=kubernetes\)/],
    ['kfp-kubernetes DeletePVC', { container: { image: 'argostub/deletepvc' } }, 'container.image', /kubernetes\.DeletePVC/],
    ['an OCI model import (modelcar)', { importer: { artifactUri: { constant: 'oci://registry/model:1' } } }, 'importer.artifactUri', /OCI model .*not supported by the local process runner, nor yet by the Kubernetes runner/],
  ])('%s is refused on the local runner', (_what, executor, field, message) => {
    let error: unknown;
    try {
      assertLocalRunnerSupports(undefined, spec({ 'exec-x': executor }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SpecNotSupportedError);
    expect((error as SpecNotSupportedError).issues).toEqual([{ path: `deploymentSpec.executors.exec-x.${field}`, message: expect.stringMatching(message) }]);
  });

  test('a plain importer and an activeDeadlineSeconds timeout are fine', () => {
    const platform = { platforms: { kubernetes: { deploymentSpec: { executors: { 'exec-x': { activeDeadlineSeconds: '30' } } } } } };
    expect(() => assertLocalRunnerSupports(platform, spec({ 'exec-x': { importer: { artifactUri: { constant: 'gs://b/k' } } } }))).not.toThrow();
    expect(executorTimeoutSeconds(platform, 'exec-x')).toBe(30);
    expect(executorTimeoutSeconds(platform, 'exec-y')).toBeUndefined();
  });
});
