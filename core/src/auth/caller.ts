export type Role = 'admin' | 'manager' | 'client';
export const ROLES: readonly Role[] = ['admin', 'manager', 'client'];

export interface UserPrincipal {
  kind: 'user';
  userId: string;
  orgId: string;
  role: Role;
  instanceAdmin: boolean;
  sessionId: string;
}

export interface ServicePrincipal {
  kind: 'service';
  serviceAccountId: string;
  orgId: string;
  groupIds: string[];
}

export type Principal = UserPrincipal | ServicePrincipal;

/** Who is calling and from where: what services need to authorize and to audit. */
export interface Caller {
  principal: Principal | null;
  ip: string;
  requestId: string;
}

export type AuthenticatedCaller = Caller & { principal: Principal };
export type UserCaller = Caller & { principal: UserPrincipal };

export const isUser = (caller: Caller): caller is UserCaller => caller.principal?.kind === 'user';
export const hasRole = (caller: Caller, ...roles: Role[]): caller is UserCaller =>
  caller.principal?.kind === 'user' && roles.includes(caller.principal.role);
