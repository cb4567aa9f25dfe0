import { definePlugin } from '@piper/sdk';
import { csvBuildNode } from './csv-build.node.js';
import { csvParseNode } from './csv-parse.node.js';
import { jsonBuildNode } from './json-build.node.js';
import { jsonParseNode } from './json-parse.node.js';

export default definePlugin({
  id: '@piper/plugin-files',
  version: '0.1.0',
  nodes: [csvParseNode, csvBuildNode, jsonParseNode, jsonBuildNode],
});
