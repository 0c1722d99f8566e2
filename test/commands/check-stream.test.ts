// `check -o json` is written in pieces of findings, and the pieces make exactly the text of one
// JSON.stringify of the whole contract object (what the command printed before it streamed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeMesh } from '../../bench/generate-mesh.js';
import { main } from '../../commands/main.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { findingToJson, renderCheckJsonChunks } from '../../src/render/json.js';
import { summarize } from '../../src/render/summary.js';
import { loadManifestSnapshot } from '../../src/snapshot/load.js';

const dir = mkdtempSync(join(tmpdir(), 'mtls-check-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const scale = {
  namespaces: 4,
  workloadsPerNamespace: 25,
  peerAuthentications: 8,
  destinationRules: 12,
  serviceEntries: 2,
};
writeMesh(dir, scale);

describe('check -o json', () => {
  it('writes valid JSON of the contract, waiting for the output to drain after each piece', async () => {
    const writes: string[] = [];
    let drained = 0;
    const code = await main(['check', '-A', '-f', dir, '-o', 'json', '--no-istioctl'], {
      stdout: (t) => writes.push(t),
      stderr: () => {},
      isTty: false,
      cwd: dir,
      drain: async () => {
        drained++;
      },
    });
    const parsed = JSON.parse(writes.join('')) as { findings: { severity: string }[] };
    expect(parsed.findings.length).toBeGreaterThan(1);
    expect(drained).toBe(writes.length);
    expect(code).toBe(parsed.findings.some((f) => f.severity === 'error') ? 1 : 0);
  });

  it('gives the text of one JSON.stringify of the whole object, whatever the piece size', async () => {
    const { snapshot } = await loadManifestSnapshot([dir]);
    const whole = diagnose(snapshot, { now: new Date(0) });
    const timings = { parse: 1.5 };
    const source = { kind: 'manifests' as const, objects: 3 };
    for (const diagnosis of [
      whole,
      { ...whole, findings: [] },
      { ...whole, findings: whole.findings.slice(0, 1) },
    ]) {
      const expected = `${JSON.stringify(
        {
          findings: diagnosis.findings.map(findingToJson),
          gaps: diagnosis.gaps,
          summary: { ...summarize(diagnosis, timings), source },
        },
        null,
        2,
      )}\n`;
      for (const size of [1, 2, 200]) {
        const pieces = [...renderCheckJsonChunks(diagnosis, timings, source, size)];
        expect(pieces.join('')).toBe(expected);
        expect(pieces.length).toBe(Math.floor(diagnosis.findings.length / size) + 1);
      }
    }
  });
});
