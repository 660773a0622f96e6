import { Router, urlencoded, type Request, type RequestHandler, type Response } from 'express';
import type { SluiceConfig } from '../../config/config';
import type { MetadataStore, TokenScope } from '../../store/types';
import { CODEC_PATH } from '../routes/codec';
import { MisdirectedRequestError, PermissionDeniedError, UnauthenticatedError } from '../errors';
import { OidcVerifier } from './oidc';
import { Access, type Principal } from './principal';
import { TokenService } from './tokens';
import { loginPage } from './login-page';

/** The dashboard's session cookie: the token itself, HttpOnly (no script reads it) and SameSite=Strict (no other site sends it). */
export const TOKEN_COOKIE = 'sluice_token';
const COOKIE_MAX_AGE_SECONDS = 7 * 24 * 3600;

/** How callers are recognised and which requests the API accepts; see the README's Security section. */
export interface AuthSettings {
  tokens: TokenService;
  /** Also accept JWTs from this issuer. */
  oidc?: OidcVerifier;
  /** Trust a user name (and namespaces) in headers set by an authenticating proxy. */
  proxy?: { userHeader: string; namespacesHeader?: string; scope: TokenScope };
  /** Host names answered besides loopback ones; `'*'`: any. */
  allowedHosts: ReadonlySet<string> | '*';
  /** Origins besides the API's own whose state-changing requests are accepted. */
  allowedOrigins: ReadonlySet<string>;
  /**
   * Let loopback peers use `/codec` without a token. Only the dev stack sets this: the Temporal UI
   * it starts calls the codec from the browser and can send no Sluice credential. The codec only
   * transforms the payloads it is sent and reads nothing stored, so it gives such a caller
   * nothing it did not have.
   */
  anonymousCodecOnLoopback?: boolean;
}

/** The settings the config asks for; the dev stack adds `anonymousCodecOnLoopback` itself. */
export function authSettingsFor(config: SluiceConfig, store: MetadataStore): AuthSettings {
  const { oidcIssuer, oidcAudience, trustedProxyUserHeader } = config;
  return {
    tokens: new TokenService(store),
    oidc:
      oidcIssuer && oidcAudience
        ? new OidcVerifier({ issuer: oidcIssuer, audience: oidcAudience, userClaim: config.oidcUserClaim, namespacesClaim: config.oidcNamespacesClaim, scope: config.userScope })
        : undefined,
    proxy: trustedProxyUserHeader ? { userHeader: trustedProxyUserHeader, namespacesHeader: config.trustedProxyNamespacesHeader, scope: config.userScope } : undefined,
    allowedHosts: allowedHostsFor(config.apiHost, config.allowedHosts),
    allowedOrigins: new Set(commaList(config.allowedOrigins)),
  };
}

/** Methods that change nothing: read scope, and no Origin check. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** The allowed `Host` names: loopback ones, the bind address when it is a name or address of its own, and `extra` (comma-separated; `*`: any). */
export function allowedHostsFor(apiHost: string, extra: string): ReadonlySet<string> | '*' {
  const names = commaList(extra.toLowerCase());
  if (names.includes('*')) return '*';
  const bind = apiHost.includes(':') ? `[${apiHost}]` : apiHost;
  const wildcard = bind === '0.0.0.0' || bind === '[::]';
  return new Set([...LOOPBACK_HOSTS, ...(wildcard ? [] : [bind.toLowerCase()]), ...names]);
}

/**
 * Every check a request passes before a route sees it, in order: `Host` (421), credentials
 * (401; the dashboard's pages redirect to the login page instead), scope (403), then `Origin`
 * for state-changing requests (403). `/codec` sits between the last two: the Temporal UI calls it
 * cross-origin by design, and it changes nothing. `/login` needs no credential (it takes one).
 * Probes (`/healthz`) are mounted before this and stay open.
 */
export function guard(settings: AuthSettings, codec: Router): Router {
  const router = Router();
  router.use(hostCheck(settings.allowedHosts));
  router.use(authenticate(settings));
  router.use(CODEC_PATH, codec);
  router.use(originCheck(settings.allowedOrigins));
  router.use(loginRouter(settings));
  return router;
}

function hostCheck(allowed: AuthSettings['allowedHosts']): RequestHandler {
  return (req, _res, next) => {
    if (allowed === '*') return next();
    const host = req.headers.host;
    let name: string | undefined;
    try {
      name = host ? new URL(`http://${host}`).hostname : undefined;
    } catch {
      name = undefined;
    }
    if (!name || !allowed.has(name)) {
      throw new MisdirectedRequestError(`Host "${host ?? ''}" is not a name of this server; add it to SLUICE_ALLOWED_HOSTS if it should be`);
    }
    next();
  };
}

function authenticate(settings: AuthSettings): RequestHandler {
  return async (req, res, next) => {
    // CORS preflights never carry credentials (Fetch standard); they reach no route but /codec's.
    if (req.method === 'OPTIONS' || req.path === '/login') return next();
    let principal: Principal;
    try {
      principal = await principalOf(req, settings);
    } catch (err) {
      // A person opening the dashboard gets the login page, not a JSON error.
      if (err instanceof UnauthenticatedError && !err.presented && isPageRequest(req)) return res.redirect(303, '/login');
      throw err;
    }
    const access = new Access(principal);
    access.requireScope(scopeNeeded(req));
    res.locals.access = access;
    next();
  };
}

async function principalOf(req: Request, settings: AuthSettings): Promise<Principal> {
  const credential = credentialOf(req);
  if (credential !== undefined) return verifyCredential(credential, settings);
  const { proxy } = settings;
  const user = proxy && req.headers[proxy.userHeader];
  if (proxy && typeof user === 'string' && user) {
    const listed = proxy.namespacesHeader === undefined ? undefined : req.headers[proxy.namespacesHeader];
    const namespaces = proxy.namespacesHeader === undefined ? undefined : commaList(String(listed ?? ''));
    return { subject: `user ${user}`, scope: proxy.scope, namespaces };
  }
  if (settings.anonymousCodecOnLoopback && req.path.startsWith(`${CODEC_PATH}/`) && isLoopback(req.socket.remoteAddress)) {
    return { subject: 'the local Temporal UI', scope: 'read', namespaces: [] };
  }
  throw new UnauthenticatedError('this request needs a token: send "Authorization: Bearer <token>" (sluice tokens create makes one)', false);
}

/** A Sluice token or, with an issuer configured, an OIDC JWT. */
async function verifyCredential(credential: string, settings: AuthSettings): Promise<Principal> {
  if (TokenService.isToken(credential)) return settings.tokens.verify(credential);
  if (settings.oidc) return settings.oidc.verify(credential);
  throw new UnauthenticatedError('not a Sluice token (sluice_...), and no OIDC issuer is configured', true);
}

/** The bearer token of the `Authorization` header, else the dashboard's cookie. */
function credentialOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer +([^\s]+) *$/i.exec(header);
    if (!match) throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"', true);
    return match[1];
  }
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === TOKEN_COOKIE && value.length) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Token management needs admin; anything that may change state needs write; reading (and the codec, a pure function) needs read. */
function scopeNeeded(req: Request): TokenScope {
  if (/^\/apis\/v2beta1\/tokens(\/|$)/.test(req.path)) return 'admin';
  return SAFE_METHODS.has(req.method) || req.path.startsWith(`${CODEC_PATH}/`) ? 'read' : 'write';
}

/**
 * A browser may send a "simple" cross-origin POST (a form, a multipart upload) without asking
 * first, with the dashboard's cookie if the sites match. So a state-changing request with an
 * `Origin` of another host, or one a browser marks as not same-origin, is refused. Clients that
 * are not browsers (the CLI, kfp.Client) send neither header and pass.
 */
function originCheck(allowed: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (allowed.has(origin) || sameHost(origin, req.headers.host)) return next();
      throw new PermissionDeniedError(`cross-origin ${req.method} from ${origin} refused; add the origin to SLUICE_ALLOWED_ORIGINS if it should be allowed`);
    }
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new PermissionDeniedError(`${site} ${req.method} refused: state-changing requests must come from the dashboard's own origin`);
    }
    next();
  };
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** `/login` shows a form; `?token=` (the link `sluice dev` prints) or the form's POST sets the session cookie. */
function loginRouter(settings: AuthSettings): Router {
  const router = Router();
  const login = async (req: Request, res: Response, token: unknown) => {
    if (typeof token !== 'string' || !token) {
      res.type('html').send(loginPage(''));
      return;
    }
    try {
      await verifyCredential(token, settings);
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throw err;
      res.status(401).type('html').send(loginPage(err.message));
      return;
    }
    const secure = req.secure ? '; Secure' : '';
    res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${COOKIE_MAX_AGE_SECONDS}${secure}`);
    res.redirect(303, '/');
  };
  router.get('/login', (req, res) => login(req, res, req.query.token));
  router.post('/login', urlencoded({ extended: false, limit: '4kb' }), (req, res) => login(req, res, (req.body as Record<string, unknown> | undefined)?.token));
  return router;
}

function isPageRequest(req: Request): boolean {
  return req.method === 'GET' && !req.path.startsWith('/apis/') && !req.path.startsWith(`${CODEC_PATH}/`) && req.accepts(['json', 'html']) === 'html';
}

function commaList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
