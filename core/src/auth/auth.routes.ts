import { route } from '../http/route.js';
import { email, password, USER_ROLES } from '../http/schemas.js';

const tag = 'Auth';

export const authRoutes = [
  route({
    method: 'post',
    path: '/api/auth/login',
    summary: 'Log in with email and password; returns a short-lived JWT',
    tag,
    access: 'public',
    body: { type: 'object', required: ['email', 'password'], additionalProperties: false, properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password } },
    handler: ({ services, caller, body }) => services.auth.login(caller, body.email, body.password),
  }),
  route({
    method: 'post',
    path: '/api/auth/refresh',
    summary: 'Exchange a valid token for a fresh one of the same session',
    tag,
    access: USER_ROLES,
    handler: ({ services, caller }) => services.auth.refresh(caller),
  }),
  route({
    method: 'post',
    path: '/api/auth/logout',
    summary: 'End the current session; its token stops working',
    tag,
    access: USER_ROLES,
    status: 204,
    handler: ({ services, caller }) => services.auth.logout(caller),
  }),
  route({
    method: 'get',
    path: '/api/auth/me',
    summary: 'The calling user (or service account) and its org',
    tag,
    access: 'authenticated',
    handler: ({ services, caller }) => services.auth.me(caller),
  }),
  route({
    method: 'post',
    path: '/api/auth/password',
    summary: 'Change your password; your other sessions end',
    tag,
    access: USER_ROLES,
    status: 204,
    body: { type: 'object', required: ['currentPassword', 'newPassword'], additionalProperties: false, properties: { currentPassword: password, newPassword: password } },
    handler: ({ services, caller, body }) => services.auth.changePassword(caller, body.currentPassword, body.newPassword),
  }),
  route({
    method: 'post',
    path: '/api/auth/forgot',
    summary: 'Ask for a password reset link (always 202)',
    tag,
    access: 'public',
    status: 202,
    body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email } },
    handler: async ({ services, caller, body }) => {
      await services.auth.forgotPassword(caller, body.email);
      return { status: 'accepted' };
    },
  }),
  route({
    method: 'post',
    path: '/api/auth/reset',
    summary: 'Set a new password with a reset token; every session of the account ends',
    tag,
    access: 'public',
    status: 204,
    body: { type: 'object', required: ['token', 'newPassword'], additionalProperties: false, properties: { token: { type: 'string', minLength: 1, maxLength: 200 }, newPassword: password } },
    handler: ({ services, caller, body }) => services.auth.resetPassword(caller, body.token, body.newPassword),
  }),
];
