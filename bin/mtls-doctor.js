#!/usr/bin/env node
import { main, programName } from '../dist/commands/main.js';

// argv[1] is the path as invoked (a symlink keeps its own name: mtls-doctor or kubectl-mtls).
process.exitCode = await main(process.argv.slice(2), undefined, programName(process.argv[1]));
