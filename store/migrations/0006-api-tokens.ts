import type { Migration } from './index';

/**
 * API bearer tokens, and namespaces on runs. Only a SHA-256 of each token's secret part is kept,
 * so a copy of the database lets no one call the API; `namespaces` NULL means every namespace.
 * Pipelines and experiments already carry a namespace (`''`, KFP's single-user namespace, for
 * every existing row). A run is in its experiment's namespace (KFP's rule); it is copied onto the
 * run, since experiments never move, so listing a namespace's runs reads one index. Existing runs
 * take their experiment's namespace, or `''` if it was deleted.
 */
export const apiTokensAndRunNamespaces: Migration = {
  version: 6,
  name: 'api-tokens-and-run-namespaces',
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
ALTER TABLE runs ADD COLUMN namespace text NOT NULL DEFAULT '';
UPDATE runs SET namespace = e.namespace FROM experiments e WHERE e.experiment_id = runs.experiment_id AND runs.namespace <> e.namespace;
CREATE INDEX runs_namespace_created_idx ON runs (namespace, created_at, run_id);
`,
};
