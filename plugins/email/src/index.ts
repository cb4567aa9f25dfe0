import { definePlugin } from '@piper/sdk';
import { sendNode } from './send.node.js';
import { smtpCredential } from './smtp.js';

export default definePlugin({
  id: '@piper/plugin-email',
  version: '0.1.0',
  nodes: [sendNode],
  credentialTypes: [smtpCredential],
});
