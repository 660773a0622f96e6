import type { ApiCreatedToken, ApiToken } from '../../api/api-types';
import type { CreateTokenBody } from '../../api/schemas/tokens';
import { parseTime } from '../api-types';
import { apiClientFor, println, type CliContext, type GlobalOptions } from '../context';
import { formatTimestamp, renderTable } from '../format';
import { UsageError } from '../exit-codes';

export interface TokensCreateOptions {
  name: string;
  scope: 'read' | 'write' | 'admin';
  namespace: string[];
  expiresIn?: string;
}

/** Where tokens are managed: the API (with an admin token) or, given DATABASE_URL, the store itself. */
interface TokenAdmin {
  create(body: Partial<CreateTokenBody>): Promise<ApiCreatedToken>;
  list(): Promise<ApiToken[]>;
  revoke(tokenId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * With `DATABASE_URL` set, the commands write the store directly: that is how the first token of
 * a cluster is made (`kubectl exec` into an API pod, whose environment has it), since no token
 * exists yet to ask the API with. Otherwise they call the API, which needs an admin token (the
 * local one `sluice dev` made is one).
 */
async function tokenAdminFor(ctx: CliContext, globals: GlobalOptions): Promise<TokenAdmin> {
  const databaseUrl = ctx.env.DATABASE_URL;
  if (!databaseUrl) {
    const client = apiClientFor(ctx, globals);
    return {
      create: (body) => client.createToken(body),
      list: () => client.listTokens(),
      revoke: (id) => client.revokeToken(id),
      close: async () => undefined,
    };
  }
  // Loaded here: only this path needs pg and the API's token code.
  const [{ PgStore }, { TokenService }, { toApiToken, toNewToken }, { CreateTokenBody }] = await Promise.all([
    import('../../store/pg-store'),
    import('../../api/auth/tokens'),
    import('../../api/converters/tokens'),
    import('../../api/schemas/tokens'),
  ]);
  const store = await PgStore.connect(databaseUrl);
  // A cluster's first token may come before the API ever ran.
  await store.migrate();
  const tokens = new TokenService(store);
  return {
    async create(body) {
      const { token, record } = await tokens.create(toNewToken(CreateTokenBody.parse(body), new Date()));
      return { ...toApiToken(record), token };
    },
    list: async () => (await tokens.list()).map(toApiToken),
    revoke: (id) => tokens.revoke(id),
    close: () => store.close(),
  };
}

async function withTokenAdmin<T>(ctx: CliContext, globals: GlobalOptions, fn: (admin: TokenAdmin) => Promise<T>): Promise<T> {
  const admin = await tokenAdminFor(ctx, globals);
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** `sluice tokens create`: prints the token alone on stdout (so `$(sluice tokens create …)` captures it); it is never shown again. */
export async function tokensCreateCommand(ctx: CliContext, globals: GlobalOptions, opts: TokensCreateOptions): Promise<void> {
  const body: Partial<CreateTokenBody> = {
    name: opts.name,
    scope: opts.scope,
    namespaces: opts.namespace.length ? opts.namespace : undefined,
    expires_in_seconds: opts.expiresIn === undefined ? undefined : parseLifetime(opts.expiresIn),
  };
  const created = await withTokenAdmin(ctx, globals, (admin) => admin.create(body));
  println(ctx.stdout, created.token);
  const reach = created.namespaces ? `namespaces ${created.namespaces.map((n) => `"${n}"`).join(', ')}` : 'every namespace';
  const expiry = created.expires_at ? `, expires ${created.expires_at}` : '';
  println(ctx.stderr, `Token ${created.token_id} (${created.scope}, ${reach}${expiry}); it is shown only now: keep it, e.g. as SLUICE_TOKEN.`);
}

/** `sluice tokens list`: every token, revoked ones included; never a secret. */
export async function tokensListCommand(ctx: CliContext, globals: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const tokens = await withTokenAdmin(ctx, globals, (admin) => admin.list());
  if (opts.json) {
    println(ctx.stdout, JSON.stringify(tokens, null, 2));
    return;
  }
  const time = (t: string | undefined) => (t ? formatTimestamp(parseTime(t)) : '-');
  const rows = tokens.map((t) => [t.token_id, t.name, t.scope, t.namespaces?.join(',') ?? '*', time(t.created_at), time(t.last_used_at), time(t.expires_at), time(t.revoked_at)]);
  for (const line of renderTable(['ID', 'NAME', 'SCOPE', 'NAMESPACES', 'CREATED', 'LAST USED', 'EXPIRES', 'REVOKED'], rows)) println(ctx.stdout, line);
}

/** `sluice tokens revoke ID`: the token stops working at once; its row stays, for the record. */
export async function tokensRevokeCommand(ctx: CliContext, globals: GlobalOptions, tokenId: string): Promise<void> {
  await withTokenAdmin(ctx, globals, (admin) => admin.revoke(tokenId));
  println(ctx.stdout, `Token ${tokenId} revoked.`);
}

/** `90d`, `12h`, `30m`, `45s` → seconds. */
function parseLifetime(text: string): number {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(text);
  if (!match) throw new UsageError(`--expires-in must be a number and a unit (s, m, h, d), like 90d; got "${text}"`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
}
