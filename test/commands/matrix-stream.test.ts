// `matrix -o json` is written in pieces (a whole-mesh matrix of millions of pairs used to fail with
// "Invalid string length"), and the pieces make exactly the JSON of the contract.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeMesh } from '../../bench/generate-mesh.js';
import { main } from '../../commands/main.js';
import { finding } from '../../src/analyzers/finding.js';
import { findingToJson, LIST_CAP, renderMatrixJson } from '../../src/render/json.js';

const dir = mkdtempSync(join(tmpdir(), 'mtls-matrix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const scale = {
  namespaces: 4,
  workloadsPerNamespace: 25,
  peerAuthentications: 8,
  destinationRules: 12,
  serviceEntries: 2,
};
writeMesh(dir, scale);

describe('matrix -o json', () => {
  it('streams the pairs in many writes, as valid JSON with the contract shape and summary', async () => {
    const writes: string[] = [];
    let drained = 0;
    const code = await main(['matrix', '-A', '-f', dir, '-o', 'json'], {
      stdout: (t) => writes.push(t),
      stderr: () => {},
      isTty: false,
      cwd: dir,
      drain: async () => {
        drained++;
      },
    });
    const parsed = JSON.parse(writes.join('')) as {
      pairs: { from: string; to: string; outcome: string }[];
      summary: { pairs: number; failing: number };
    };
    expect(parsed.pairs.length).toBeGreaterThan(4000);
    expect(writes.length).toBeGreaterThan(2);
    expect(drained).toBe(writes.length);
    expect(parsed.summary.pairs).toBe(parsed.pairs.length);
    expect(parsed.summary.failing).toBe(parsed.pairs.filter((p) => p.outcome === 'fail').length);
    expect(code).toBe(parsed.summary.failing > 0 ? 1 : 0);
  });

  it('writes the same text as one JSON.stringify of the whole object', () => {
    const pair = {
      from: 'a/b',
      to: 'c/d:80',
      outcome: 'fail' as const,
      client: { proxy: 'none' as const, tls: 'DISABLE' as const },
      server: { proxy: 'sidecar' as const, mode: 'STRICT' as const },
      reason: 'strict-plaintext-clients',
      symptom: 'connection reset',
    };
    const gaps = [{ source: 'x', reason: 'y' }];
    for (const pairs of [[], [pair], [pair, { ...pair, outcome: 'ok' as const }]]) {
      const whole = `${JSON.stringify(
        {
          pairs,
          gaps,
          summary: {
            pairs: pairs.length,
            failing: pairs.filter((p) => p.outcome === 'fail').length,
            skippedTargets: ['s/t'],
          },
        },
        null,
        2,
      )}\n`;
      expect(renderMatrixJson({ pairs, skippedTargets: ['s/t'] }, gaps)).toBe(whole);
    }
  });
});

describe('check -o json lists', () => {
  it('caps per-finding lists at LIST_CAP and counts the rest, so output does not grow with pairs', () => {
    const namespaces = Array.from({ length: 400 }, (_, i) => `team-${String(i).padStart(3, '0')}`);
    const f = finding({
      code: 'destinationrule-tls-conflict',
      message: 'm',
      fix: 'f',
      resource: { kind: 'DestinationRule', namespace: 'istio-system', name: 'default' },
      related: namespaces.map((ns) => ({ kind: 'Service', namespace: ns, name: 'api' })),
      namespaces,
    });
    const json = findingToJson(f) as Record<string, unknown>;
    expect((json.namespaces as string[]).length).toBe(LIST_CAP);
    expect(json.namespacesOmitted).toBe(401 - LIST_CAP);
    expect((json.related as unknown[]).length).toBe(LIST_CAP);
    expect(json.relatedOmitted).toBe(400 - LIST_CAP);
    const small = findingToJson({ ...f, namespaces: ['a'], related: [] }) as Record<string, unknown>;
    expect(small).not.toHaveProperty('namespacesOmitted');
    expect(small.namespaces).toEqual(['a']);
  });
});
