import { defineCredentialType } from '@piper/sdk';
import { requestToken, type HttpAuth } from './http-auth.js';

export const httpAuthCredential = defineCredentialType({
  type: 'core.httpAuth',
  name: 'HTTP authentication',
  // Each kind carries its own fields (in `then`), so a generated form shows only the chosen kind's.
  schema: {
    type: 'object',
    required: ['kind'],
    properties: {
      kind: { type: 'string', title: 'Kind', enum: ['bearer', 'basic', 'header', 'oauth2ClientCredentials'], default: 'bearer' },
    },
    allOf: [
      {
        if: { required: ['kind'], properties: { kind: { const: 'bearer' } } },
        then: { required: ['token'], properties: { token: { type: 'string' } } },
      },
      {
        if: { required: ['kind'], properties: { kind: { const: 'basic' } } },
        then: {
          required: ['username', 'password'],
          properties: {
            username: { type: 'string', pattern: '^[^:]*$', description: 'HTTP Basic allows no colon in the user name' },
            password: { type: 'string' },
          },
        },
      },
      {
        if: { required: ['kind'], properties: { kind: { const: 'header' } } },
        then: {
          required: ['headerName', 'headerValue'],
          properties: { headerName: { type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }, headerValue: { type: 'string' } },
        },
      },
      {
        if: { required: ['kind'], properties: { kind: { const: 'oauth2ClientCredentials' } } },
        then: {
          required: ['tokenUrl', 'clientId', 'clientSecret'],
          properties: {
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
        },
      },
    ],
  } as const,
  ui: {
    kind: { 'ui:enumNames': ['Bearer token', 'Basic (user name and password)', 'API key header', 'OAuth2 client credentials'] },
    token: { 'ui:widget': 'password' },
    password: { 'ui:widget': 'password' },
    headerValue: { 'ui:widget': 'password' },
    clientSecret: { 'ui:widget': 'password' },
  },
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
