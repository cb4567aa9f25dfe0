#!/usr/bin/env node
// The piper-plugin command (sdk/src/cli/piper-plugin.ts, built to dist/). This file exists
// before the build, so that npm links the command when the SDK is installed.
import { main } from '../dist/cli/piper-plugin.js';

main(process.argv.slice(2)).catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
