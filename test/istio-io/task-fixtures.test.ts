// The istio.io security task fixtures (test/fixtures/istio-io-tasks, built from the task pages and their
// snips/test scripts, see that folder's README) through `mtls-doctor matrix -f <dir> -o json`.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { runCli } from '../helpers/run-cli.js';

const DIR = new URL('../fixtures/istio-io-tasks/', import.meta.url);
const scenarios = readdirSync(DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface Expected {
  source: string;
  pairs: { from: string; to: string; outcome: 'ok' | 'fail' }[];
}

describe('istio.io security tasks, as fixtures', () => {
  it('has every scenario', () => {
    expect(scenarios).toHaveLength(9);
  });

  it.each(scenarios)('%s', async (scenario) => {
    const expected = JSON.parse(readFileSync(new URL(`${scenario}/expected.json`, DIR), 'utf8')) as Expected;
    const { code, stdout } = await runCli([
      'matrix',
      '-f',
      new URL(`${scenario}/manifests.yaml`, DIR).pathname,
      '-o',
      'json',
    ]);
    const pairs = new Map(
      (JSON.parse(stdout).pairs as Expected['pairs']).map((p) => [`${p.from} -> ${p.to}`, p.outcome]),
    );
    for (const pair of expected.pairs)
      expect(pairs.get(`${pair.from} -> ${pair.to}`), `${pair.from} -> ${pair.to}`).toBe(pair.outcome);
    expect(code).toBe([...pairs.values()].includes('fail') ? EXIT.findings : EXIT.ok);
  });
});
