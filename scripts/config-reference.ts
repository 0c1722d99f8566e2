// Writes the configuration reference into README.md between its markers: `npx tsx scripts/config-reference.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference } from '../src/config-reference.js';

const readme = readFileSync('README.md', 'utf8');
writeFileSync(
  'README.md',
  readme.replace(
    /<!-- config:start -->[\s\S]*<!-- config:end -->/,
    `<!-- config:start -->\n${configReference()}\n<!-- config:end -->`,
  ),
);
