#!/usr/bin/env node
// Runs the bundled CLI (`npm run build` writes dist/cli/: few files to load, so start-up stays quick).
import { main, programName } from '../dist/cli/main.js';

// argv[1] is the path as invoked (a symlink keeps its own name: mtls-doctor or kubectl-mtls).
process.exitCode = await main(process.argv.slice(2), undefined, programName(process.argv[1]));
