import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { apiDepsFromConfig } from '../../api/app';
import { ConfigError, loadConfig } from '../../config/config';
import type { MetadataStore } from '../../store/types';

/** The API's input limits come from the one config schema, and reach the API through its deps. */
describe('input limits in the config', () => {
  const env = { SLUICE_DATA_DIR: '/srv/sluice' };

  test('defaults: 32 MiB bodies and uploads, pipeline roots = the artifact root', () => {
    const config = loadConfig({}, env);
    expect(config).toMatchObject({ maxBodyBytes: 32 * 1024 * 1024, maxUploadBytes: 32 * 1024 * 1024, pipelineRoots: ['/srv/sluice/artifacts'] });
  });

  test('from the environment, relative roots resolved; the API gets them', () => {
    const config = loadConfig({}, { ...env, SLUICE_PIPELINE_ROOTS: '/data/a:rel/b', SLUICE_MAX_BODY_BYTES: '2048', SLUICE_MAX_UPLOAD_BYTES: '4096' });
    expect(config.pipelineRoots).toEqual(['/data/a', resolve('rel/b')]);
    const deps = apiDepsFromConfig(config, {} as MetadataStore, {} as Client);
    expect(deps).toMatchObject({ pipelineRoots: ['/data/a', resolve('rel/b')], inputLimits: { maxBodyBytes: 2048, maxUploadBytes: 4096 } });
  });

  test('a limit below 1 KiB is a configuration error naming the key', () => {
    expect(() => loadConfig({}, { ...env, SLUICE_MAX_BODY_BYTES: '10' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { ...env, SLUICE_MAX_UPLOAD_BYTES: 'lots' })).toThrow(/maxUploadBytes/);
  });
});
