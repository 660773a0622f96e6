import type { Response } from 'express';
import type { TokenScope } from '../../store/types';
import { PermissionDeniedError } from '../errors';

/** Who is calling, as every way of authenticating (token, OIDC, trusted proxy) reduces it. */
export interface Principal {
  /** For messages and logs: `token "ci" (3f2a…)`, `user alice@example.com`. */
  subject: string;
  scope: TokenScope;
  /** The namespaces the caller reaches; undefined: every namespace. */
  namespaces?: readonly string[];
}

const SCOPE_RANK: Record<TokenScope, number> = { read: 0, write: 1, admin: 2 };

/** Namespace `''` is KFP's single-user namespace; pipelines in it are shared, readable by everyone. */
export const SHARED_NAMESPACE = '';

/**
 * What one caller may do, asked by the routes and services. Refusals are 403 naming the caller
 * and what it lacks; Sluice follows KFP here (403 on another namespace's resource, not 404), so
 * an id from another namespace is known to exist, but nothing of it is shown.
 */
export class Access {
  constructor(readonly principal: Principal) {}

  /** Throws unless the caller's scope includes `scope` (write implies read, admin implies write). */
  requireScope(scope: TokenScope): void {
    if (SCOPE_RANK[this.principal.scope] < SCOPE_RANK[scope]) {
      throw new PermissionDeniedError(`${this.principal.subject} has scope "${this.principal.scope}"; this request needs "${scope}"`);
    }
  }

  reaches(namespace: string): boolean {
    return this.principal.namespaces === undefined || this.principal.namespaces.includes(namespace);
  }

  /** Throws unless the caller reaches `namespace`; `what` names the resource in it (`experiment "e1"`), if any. */
  requireNamespace(namespace: string, what?: string): void {
    if (this.reaches(namespace)) return;
    const { subject } = this.principal;
    throw new PermissionDeniedError(what ? `${what} is in namespace "${namespace}", which ${subject} cannot access` : `${subject} cannot access namespace "${namespace}"`);
  }

  /** Shared pipelines are readable by every caller; a namespaced one only by its namespace. */
  requirePipelineRead(namespace: string, what?: string): void {
    if (namespace !== SHARED_NAMESPACE) this.requireNamespace(namespace, what);
  }

  /** The namespace a create without one lands in: the shared one if reachable, else the caller's first. */
  defaultNamespace(): string {
    const { namespaces } = this.principal;
    return namespaces === undefined || namespaces.includes(SHARED_NAMESPACE) || !namespaces.length ? SHARED_NAMESPACE : namespaces[0];
  }

  /**
   * The namespaces a listing shows: the one the `namespace` query parameter asks for (403 if the
   * caller cannot reach it), else all the caller reaches (undefined: all there are).
   */
  listNamespaces(requested: string | undefined): readonly string[] | undefined {
    if (requested !== undefined) {
      this.requireNamespace(requested);
      return [requested];
    }
    return this.principal.namespaces;
  }
}

/** The caller `authenticate` attached to the response. */
export function accessOf(res: Response): Access {
  const access = res.locals.access as Access | undefined;
  if (!access) throw new Error('no caller on this request: the route is mounted before authenticate()');
  return access;
}
