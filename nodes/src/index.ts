import { definePlugin } from '@piper/sdk';
import { httpAuthCredential, webhookSecretCredential } from './credentials.js';
import { delayNode } from './delay.node.js';
import { httpNode } from './http.node.js';
import { ifNode } from './if.node.js';
import { manualNode } from './manual.node.js';
import { mergeRaceNode } from './merge-race.node.js';
import { scheduleNode } from './schedule.node.js';
import { scriptNode } from './script.node.js';
import { setNode } from './set.node.js';
import { switchNode } from './switch.node.js';
import { transformNode } from './transform.node.js';
import { waitAllNode } from './wait-all.node.js';
import { webhookNode } from './webhook.node.js';

export default definePlugin({
  id: '@piper/nodes',
  version: '0.1.0',
  nodes: [manualNode, webhookNode, scheduleNode, transformNode, scriptNode, httpNode, ifNode, switchNode, waitAllNode, mergeRaceNode, setNode, delayNode],
  credentialTypes: [httpAuthCredential, webhookSecretCredential],
});

/** How script nodes hand a credential to their container, for script node types defined in the browser. */
export { credentialEnv } from './script.node.js';
