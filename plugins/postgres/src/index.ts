import { definePlugin } from '@piper/sdk';
import { postgresConnectionCredential } from './connection.js';
import { queryNode } from './query.node.js';

export { closePools } from './pools.js';

export default definePlugin({
  id: '@piper/plugin-postgres',
  version: '0.1.0',
  nodes: [queryNode],
  credentialTypes: [postgresConnectionCredential],
});
