import type { Logger } from 'pino';
import type { AuditService } from '../audit/audit.service.js';
import type { Config } from '../config/config.js';
import { values, type Database } from '../db/database.js';
import { invalid, tooManyRequests, unauthorized } from '../http/errors.js';
import type { OutboxService } from '../outbox/outbox.service.js';
import { Org } from '../orgs/org.model.js';
import { User } from '../users/user.model.js';
import type { Caller, Principal, UserCaller } from './caller.js';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { RateLimiter } from './rate-limit.js';
import { revokeSessions } from './sessions.js';
import { newSecretToken, sha256, type TokenSigner } from './tokens.js';

export const SERVICE_TOKEN_PREFIX = 'psa_';
const LAST_USED_RESOLUTION_MS = 60_000;

export class AuthService {
  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly signer: TokenSigner,
    private readonly limiter: RateLimiter,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly logger: Logger,
  ) {}

  async login(caller: Caller, email: string, password: string) {
    const accountKey = `login:account:${email.trim().toLowerCase()}`;
    const ipKey = `login:ip:${caller.ip}`;
    const { loginWindowSeconds: window } = this.config;
    const wait = Math.max(
      await this.limiter.blockedFor(accountKey, this.config.loginMaxFailuresPerAccount, window),
      await this.limiter.blockedFor(ipKey, this.config.loginMaxFailuresPerIp, window),
    );
    if (wait > 0) throw tooManyRequests(wait);

    const user = await User.query(this.db).whereRaw('lower(email) = lower(?)', [email.trim()]).whereNull('deletedAt').first();
    const passwordOk = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (!user || !passwordOk || user.disabled) {
      await this.limiter.hit(accountKey, window);
      await this.limiter.hit(ipKey, window);
      await this.audit.record(this.db, caller, {
        orgId: user?.orgId ?? null,
        action: 'auth.login_failed',
        entityType: 'user',
        entityId: user?.id ?? null,
        after: { email, reason: !user ? 'unknown_email' : user.disabled ? 'disabled' : 'wrong_password' },
        actor: { type: 'anonymous', id: null },
      });
      throw unauthorized('Invalid email or password');
    }
    await this.limiter.clear(accountKey);
    const token = await this.db.transaction(async (trx) => {
      const [session] = await trx('sessions')
        .insert({
          orgId: user.orgId,
          userId: user.id,
          expiresAt: new Date(Date.now() + this.config.sessionMaxAgeSeconds * 1000),
          ip: caller.ip,
        })
        .returning('id');
      await this.audit.record(trx, caller, {
        orgId: user.orgId,
        action: 'auth.login',
        entityType: 'session',
        entityId: session.id,
        actor: { type: 'user', id: user.id },
      });
      return this.signer.sign({ userId: user.id, orgId: user.orgId, sessionId: session.id });
    });
    return { token, user: user.toPublic() };
  }

  /** Issues a fresh short-lived token for a session that is still open and not past its maximum age. */
  async refresh(caller: UserCaller) {
    const { userId, orgId, sessionId } = caller.principal;
    return { token: await this.signer.sign({ userId, orgId, sessionId }) };
  }

  async logout(caller: UserCaller): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('sessions').where({ id: caller.principal.sessionId }).update({ revokedAt: trx.fn.now() });
      await this.audit.record(trx, caller, {
        orgId: caller.principal.orgId,
        action: 'auth.logout',
        entityType: 'session',
        entityId: caller.principal.sessionId,
      });
    });
  }

  /** Resolves a bearer token (a user JWT or a service account token) to its principal, or throws 401. */
  async authenticate(token: string): Promise<Principal> {
    if (token.startsWith(SERVICE_TOKEN_PREFIX)) return this.authenticateServiceAccount(token);
    const claims = await this.signer.verify(token);
    if (!claims) throw unauthorized('Invalid or expired token');
    const row = await this.db('sessions as s')
      .join('users as u', 'u.id', 's.userId')
      .where('s.id', claims.sessionId)
      .andWhere('u.id', claims.userId)
      .whereNull('s.revokedAt')
      .andWhere('s.expiresAt', '>', this.db.fn.now())
      .whereNull('u.deletedAt')
      .andWhere('u.disabled', false)
      .first('u.orgId', 'u.role', 'u.instanceAdmin');
    if (!row) throw unauthorized('Invalid or expired token');
    return { kind: 'user', userId: claims.userId, orgId: row.orgId, role: row.role, instanceAdmin: row.instanceAdmin, sessionId: claims.sessionId };
  }

  private async authenticateServiceAccount(token: string): Promise<Principal> {
    const account = await this.db('serviceAccounts').where({ tokenHash: sha256(token) }).whereNull('revokedAt').first();
    if (!account) throw unauthorized('Invalid or revoked token');
    const groups = await values(this.db('serviceAccountGroups').where({ serviceAccountId: account.id }), 'groupId');
    if (!account.lastUsedAt || Date.now() - new Date(account.lastUsedAt).getTime() > LAST_USED_RESOLUTION_MS) {
      await this.db('serviceAccounts').where({ id: account.id }).update({ lastUsedAt: this.db.fn.now() });
    }
    return { kind: 'service', serviceAccountId: account.id, orgId: account.orgId, groupIds: groups };
  }

  async me(caller: Caller & { principal: Principal }) {
    const principal = caller.principal;
    const org = await Org.query(this.db).findById(principal.orgId);
    if (principal.kind === 'service') {
      const account = await this.db('serviceAccounts').where({ id: principal.serviceAccountId }).first('id', 'name');
      return { user: null, serviceAccount: { ...account, groupIds: principal.groupIds }, org: org!.toPublic() };
    }
    const user = await User.query(this.db).findById(principal.userId);
    return { user: user!.toPublic(), org: org!.toPublic() };
  }

  async changePassword(caller: UserCaller, currentPassword: string, newPassword: string): Promise<void> {
    checkPasswordStrength(newPassword, 'newPassword');
    const user = await User.query(this.db).findById(caller.principal.userId);
    if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
      throw invalid({ currentPassword: 'is not your current password' }, 'The current password is wrong');
    }
    const passwordHash = await hashPassword(newPassword);
    await this.db.transaction(async (trx) => {
      await trx('users').where({ id: user.id }).update({ passwordHash, updatedAt: trx.fn.now() });
      const ended = await revokeSessions(trx, user.id, caller.principal.sessionId);
      await this.audit.record(trx, caller, {
        orgId: user.orgId,
        action: 'auth.password_changed',
        entityType: 'user',
        entityId: user.id,
        after: { otherSessionsEnded: ended },
      });
    });
  }

  /** Always succeeds from the caller's view; a known, active account gets a single-use reset link. */
  async forgotPassword(caller: Caller, email: string): Promise<void> {
    const user = await User.query(this.db).whereRaw('lower(email) = lower(?)', [email.trim()]).whereNull('deletedAt').first();
    if (!user || user.disabled) return;
    const limitKey = `forgot:${user.id}`;
    if ((await this.limiter.blockedFor(limitKey, 5, 3600)) > 0) return;
    await this.limiter.hit(limitKey, 3600);
    const token = newSecretToken('');
    const expiresAt = new Date(Date.now() + this.config.resetTokenTtlSeconds * 1000);
    await this.db.transaction(async (trx) => {
      await trx('passwordResetTokens').insert({ userId: user.id, tokenHash: sha256(token), expiresAt });
      await this.outbox.enqueue(trx, {
        orgId: user.orgId,
        to: user.email,
        kind: 'password_reset',
        subject: 'Reset your Piper password',
        body:
          `Someone asked to reset the password of ${user.email} on Piper.\n\n` +
          `Open ${this.config.publicUrl}/reset-password?token=${token} before ${expiresAt.toISOString()} to choose a new one.\n` +
          `The reset token is: ${token}\n\nIf it was not you, ignore this email.`,
      });
      await this.audit.record(trx, caller, {
        orgId: user.orgId,
        action: 'auth.password_reset_requested',
        entityType: 'user',
        entityId: user.id,
        actor: { type: 'anonymous', id: null },
      });
    });
    this.logger.info({ userId: user.id }, 'password reset requested');
  }

  async resetPassword(caller: Caller, token: string, newPassword: string): Promise<void> {
    checkPasswordStrength(newPassword, 'newPassword');
    const passwordHash = await hashPassword(newPassword);
    await this.db.transaction(async (trx) => {
      const used = await trx('passwordResetTokens')
        .where({ tokenHash: sha256(token) })
        .whereNull('usedAt')
        .andWhere('expiresAt', '>', trx.fn.now())
        .update({ usedAt: trx.fn.now() })
        .returning('userId');
      const userId = used[0]?.userId as string | undefined;
      const user = userId ? await User.query(trx).findById(userId).whereNull('deletedAt') : undefined;
      if (!user) throw invalid({ token: 'is invalid, expired or already used' }, 'The reset token is invalid or expired');
      await trx('users').where({ id: user.id }).update({ passwordHash, updatedAt: trx.fn.now() });
      await revokeSessions(trx, user.id);
      await this.audit.record(trx, caller, {
        orgId: user.orgId,
        action: 'auth.password_reset',
        entityType: 'user',
        entityId: user.id,
        actor: { type: 'user', id: user.id },
      });
    });
  }
}

export function checkPasswordStrength(password: string, field: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalid({ [field]: `must be at least ${MIN_PASSWORD_LENGTH} characters` }, `The password is too short`);
  }
}
