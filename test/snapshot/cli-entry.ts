// The CLI from source, as a real process (stdin, terminals): `node --import tsx test/snapshot/cli-entry.ts`.
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv.slice(2));
