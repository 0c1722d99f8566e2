// The few short lines a Slack message (fix request, /mtls whatif) shows for an impact.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { impact } from '../../src/engine/impact.js';
import { applyWhatIf } from '../../src/impact/what-if.js';
import { impactSummaryLines } from '../../src/render/diff-summary.js';
import { snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-29T00:00:00Z');
const step = (name: string) =>
  snapshotOf(readFileSync(`test/fixtures/istio-io-tasks/mtls-migration-${name}/manifests.yaml`, 'utf8'));

describe('impactSummaryLines', () => {
  it('a rollback of STRICT: repairs with examples, breaks 0, findings', () => {
    const result = impact(step('b-lock-down-foo'), step('a-setup'), { now: NOW });
    expect(impactSummaryLines(result)).toEqual([
      'repairs 2 calls (legacy/curl → foo/curl:80, legacy/curl → foo/httpbin:8000), breaks 0',
      'findings: 1 resolved, 1 opened',
    ]);
  });

  it('a mesh-wide STRICT what-if: breaks with the first examples, then …', () => {
    const a = step('a-setup');
    const result = impact(a, applyWhatIf(a, { mode: 'STRICT' }), { now: NOW });
    expect(impactSummaryLines(result, { examples: 1 })[0]).toBe(
      'repairs 0 calls, breaks 4 (legacy/curl → bar/curl:80, …)',
    );
  });

  it('too broad: says so rather than "breaks 0"', () => {
    const a = step('a-setup');
    const c = step('c-lock-down-mesh');
    const after = { ...c, workloads: c.workloads.map((w) => ({ ...w, proxy: 'sidecar' as const })) };
    expect(impactSummaryLines(impact(a, after, { now: NOW, maxPairs: 3 }))).toEqual([
      'impact not enumerated: too broad to enumerate: the change (PeerAuthentication istio-system/default) can affect 25 pairs (limit 3)',
    ]);
  });
});
