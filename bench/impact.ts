// Change impact on a large mesh: one namespace's PeerAuthentication switched to STRICT, answered by
// impact() with both snapshots read from files (every object distinct, as `diff --base` sees them),
// against one `check` (parse + resolve + analyze) of the same mesh.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { diagnose } from '../src/engine/diagnose.js';
import { impact } from '../src/engine/impact.js';
import { loadManifestSnapshot } from '../src/snapshot/load.js';

export interface ImpactMeasure {
  readonly checkMs: number;
  readonly impactMs: number;
  readonly broken: number;
  readonly pairsCompared: number;
}

/** Rewrites `namespace`'s namespace-wide PeerAuthentication (`default`) to STRICT in a copy of `dir`. */
function strictCopy(dir: string, namespace: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'mtls-doctor-bench-after-'));
  cpSync(dir, copy, { recursive: true });
  const file = join(copy, `${namespace}.yaml`);
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const doc of docs) {
    const o = doc.toJS() as { kind?: string; metadata?: { name?: string } };
    if (o.kind === 'PeerAuthentication' && o.metadata?.name === 'default')
      doc.setIn(['spec', 'mtls', 'mode'], 'STRICT');
  }
  writeFileSync(file, docs.map((d) => d.toString()).join('---\n'));
  return copy;
}

export async function measureImpact(dir: string, namespace: string, repeats: number): Promise<ImpactMeasure> {
  const afterDir = strictCopy(dir, namespace);
  try {
    const checks: number[] = [];
    const impacts: number[] = [];
    let broken = 0;
    let pairsCompared = 0;
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      const loaded = await loadManifestSnapshot([dir]);
      diagnose(loaded.snapshot);
      checks.push(performance.now() - started);
      const after = await loadManifestSnapshot([afterDir]);
      const impactStarted = performance.now();
      const result = impact(loaded.snapshot, after.snapshot);
      impacts.push(performance.now() - impactStarted);
      broken = result.broken.length;
      pairsCompared = result.pairsCompared;
    }
    return { checkMs: median(checks), impactMs: median(impacts), broken, pairsCompared };
  } finally {
    rmSync(afterDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
