import { join } from 'node:path';

/** KFP's compiled-pipeline corpus: `../shared/kfp-corpus` beside the project, or `KFP_CORPUS_DIR`. */
export const KFP_CORPUS = process.env.KFP_CORPUS_DIR ?? join(__dirname, '..', '..', '..', 'shared', 'kfp-corpus');
