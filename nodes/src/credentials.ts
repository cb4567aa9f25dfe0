import { defineCredentialType } from '@piper/sdk';

export const httpAuthCredential = defineCredentialType({
  type: 'core.httpAuth',
  name: 'HTTP authentication',
  schema: {
    type: 'object',
    required: ['kind'],
    properties: {
      kind: { type: 'string', enum: ['bearer', 'basic', 'header', 'oauth2ClientCredentials'] },
      token: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      headerName: { type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
      headerValue: { type: 'string' },
      tokenUrl: { type: 'string', format: 'uri' },
      clientId: { type: 'string' },
      clientSecret: { type: 'string' },
      scope: { type: 'string' },
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
});

export const webhookSecretCredential = defineCredentialType({
  type: 'core.webhookSecret',
  name: 'Webhook signing secret',
  schema: {
    type: 'object',
    required: ['secret'],
    properties: { secret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]{16,}$', description: 'Standard Webhooks secret: whsec_ followed by base64' } },
  } as const,
  ui: { secret: { 'ui:widget': 'password' } },
  secretFields: ['secret'],
});
