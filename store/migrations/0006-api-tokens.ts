import type { Migration } from './index';

/**
 * API bearer tokens. Only a SHA-256 of each token's secret part is kept, so a copy of the
 * database lets no one call the API. `namespaces` NULL means every namespace. Pipelines and
 * experiments already carry a namespace (`''`, KFP's single-user namespace, for every existing
 * row); a run belongs to its experiment's namespace, so runs need no column of their own.
 */
export const apiTokens: Migration = {
  version: 6,
  name: 'api-tokens',
  sql: `
CREATE TABLE api_tokens (
  token_id      text PRIMARY KEY,
  secret_sha256 bytea NOT NULL,
  name          text NOT NULL,
  scope         text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
  namespaces    text[],
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX experiments_namespace_idx ON experiments (namespace, experiment_id);
`,
};
