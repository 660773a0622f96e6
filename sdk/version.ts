/** Sluice's version, written into specs as `sdkVersion: sluice-<version>`. Kept equal to package.json's (a test checks). */
export const SDK_VERSION = '0.1.0';

/** The PipelineSpec IR version the SDK emits. */
export const SCHEMA_VERSION = '2.1.0';
