import { defineCredentialType } from '@piper/sdk';
import { requestToken, type HttpAuth } from './http-auth.js';

export const httpAuthCredential = defineCredentialType({
  type: 'core.httpAuth',
  name: 'HTTP authentication',
  schema: {
    type: 'object',
    required: ['kind'],
    properties: {
      kind: { type: 'string', enum: ['bearer', 'basic', 'header', 'oauth2ClientCredentials'] },
      token: { type: 'string' },
      username: { type: 'string', pattern: '^[^:]*$', description: 'HTTP Basic allows no colon in the user name' },
      password: { type: 'string' },
      headerName: { type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
      headerValue: { type: 'string' },
      tokenUrl: { type: 'string', format: 'uri' },
      clientId: { type: 'string' },
      clientSecret: { type: 'string' },
      scope: { type: 'string', description: 'Space-separated scopes to ask for' },
      audience: { type: 'string', description: 'The API the token is for, where the provider asks for one (Auth0, for example)' },
      clientAuthentication: {
        type: 'string',
        enum: ['basic', 'body'],
        description: 'How the client id and secret reach the token endpoint: HTTP Basic (when not set), or in the form body',
      },
    },
    allOf: [
      { if: { properties: { kind: { const: 'bearer' } } }, then: { required: ['token'] } },
      { if: { properties: { kind: { const: 'basic' } } }, then: { required: ['username', 'password'] } },
      { if: { properties: { kind: { const: 'header' } } }, then: { required: ['headerName', 'headerValue'] } },
      { if: { properties: { kind: { const: 'oauth2ClientCredentials' } } }, then: { required: ['tokenUrl', 'clientId', 'clientSecret'] } },
    ],
  } as const,
  ui: { token: { 'ui:widget': 'password' }, password: { 'ui:widget': 'password' }, headerValue: { 'ui:widget': 'password' }, clientSecret: { 'ui:widget': 'password' } },
  secretFields: ['token', 'password', 'headerValue', 'clientSecret'],
  async test(data, { signal }) {
    const auth = data as HttpAuth;
    if (auth.kind !== 'oauth2ClientCredentials') return { ok: true, message: 'Well-formed; the server it is sent to checks it on each request' };
    try {
      const token = await requestToken(auth, signal);
      return { ok: true, message: `The token endpoint issued a token valid for about ${Math.max(1, Math.round((token.expiresAt - Date.now()) / 1000))} s` };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  },
});

export const webhookSecretCredential = defineCredentialType({
  type: 'core.webhookSecret',
  name: 'Webhook signing secret',
  schema: {
    type: 'object',
    required: ['secret'],
    properties: {
      secret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]{16,}$', description: 'Standard Webhooks secret: whsec_ followed by base64' },
      previousSecrets: {
        type: 'array',
        maxItems: 5,
        items: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]{16,}$' },
        description: 'Secrets still accepted while senders move to the new one (rotation)',
      },
    },
  } as const,
  ui: { secret: { 'ui:widget': 'password' } },
  secretFields: ['secret', 'previousSecrets'],
});
