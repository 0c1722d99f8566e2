#!/usr/bin/env node
import { basename } from 'node:path';
import { main } from '../dist/commands/main.js';

// Installed as kubectl-mtls too: then it is run as `kubectl mtls`.
const programName = basename(process.argv[1] ?? '').startsWith('kubectl-mtls')
  ? 'kubectl mtls'
  : 'mtls-doctor';
process.exitCode = await main(process.argv.slice(2), undefined, programName);
