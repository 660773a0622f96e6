/**
 * Id of the `Default` experiment. Migration 0001 inserts the experiment with this literal id
 * (migrations are frozen history, so it is written out there rather than imported); the store
 * tests check that the two agree.
 */
export const DEFAULT_EXPERIMENT_ID = '00000000-0000-0000-0000-000000000001';

// Row ids derived from content live with the pure spec code, which workflows share.
export { artifactIdFor, artifactIdsByKey, taskIdFor } from '../ir/ids';
