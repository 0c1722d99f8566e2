// The CLI from source, as a real process (stdin, terminals): `node --import tsx test/snapshot/cli-entry.ts`.
import { main } from '../../commands/main.js';

process.exitCode = await main(process.argv.slice(2));
