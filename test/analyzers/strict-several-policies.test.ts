// A Service whose backends get STRICT from different policies (an older workload policy for cart-v1,
// the namespace policy for cart-v2): a call is balanced over both, so relaxing one policy repairs no
// call. The finding names every policy, and its plans say they go together; applied together they
// repair the call, alone they do not.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/analyzers/finding.js';
import { diagnose } from '../../src/engine/diagnose.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { findingToJson } from '../../src/render/json.js';
import { namespace, peerAuthentication, snapshotOf, versionedApp } from '../helpers/mesh.js';
import { callsChangedBy, callsChangedByPlans } from '../helpers/plan-effect.js';

const NOW = new Date('2026-11-30T00:00:00Z');

const yaml = [
  namespace('shop'),
  namespace('legacy', 'none'),
  versionedApp('shop', 'cart', ['v1', 'v2']),
  `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: batch, namespace: legacy }
spec:
  selector: { matchLabels: { app: batch } }
  template:
    metadata: { labels: { app: batch } }
    spec: { containers: [{ name: batch, image: example/batch }] }
`,
  peerAuthentication('shop', 'default', 'STRICT'),
  peerAuthentication('shop', 'cart-v1-tuning', 'STRICT', {
    selector: { app: 'cart', version: 'v1' },
    created: '2023-01-01T00:00:00Z',
  }),
].join('');

describe('strict-plaintext-clients with backends under different policies', () => {
  const [f] = diagnose(snapshotOf(yaml), { now: NOW }).findings.filter(
    (x) => x.code === 'strict-plaintext-clients',
  );
  const plans = (prefix: string) => (f?.remediations ?? []).filter((p) => p.id.startsWith(prefix));
  const CALL = 'legacy/batch -> shop/cart:80';

  it('names every policy that decides a failing backend', () => {
    expect(f?.related).toContainEqual({ kind: 'PeerAuthentication', namespace: 'shop', name: 'default' });
    expect(f?.why.join('\n')).toContain('shop/cart-v2 port 8080 is STRICT');
    expect(f?.fix).toContain('one alone repairs no call');
  });

  for (const [what, prefix, count] of [
    ['PERMISSIVE', 'set-mode-permissive:', 2],
    ['port exceptions', 'port-exception:', 2],
  ] as const) {
    it(`${what}: one plan per policy, marked as a set, that repairs the call only together`, () => {
      const set = plans(prefix);
      expect(set).toHaveLength(count);
      for (const plan of set) {
        // The marker leads the title (a Slack button cuts it at 75 characters) and the id is the set's.
        expect(plan.title).toMatch(/^\(\d of 2\) .*, with the change to /);
        expect(plan.id).toMatch(/:together-[0-9a-f]{8}$/);
        expect(plan.risk).toContain('Alone this repairs no call');
        expect(callsChangedBy(plan as RemediationPlan, yaml).repaired).toEqual([]);
        // The JSON names the rest of the set, so a pipeline can apply them as one.
        const json = findingToJson(f as Finding).remediations.find((r) => r.id === plan.id);
        expect(json?.appliedWith).toEqual(set.filter((p) => p !== plan).map((p) => p.id));
      }
      expect(callsChangedByPlans(yaml, set)).toEqual({ repaired: [CALL], broken: [] });
    });
  }

  it('the same change offered alone where it repairs a call keeps its own plan and promise', () => {
    // aaa-solo selects cart-v1 only: relaxing cart-v1-tuning alone repairs calls to it.
    const solo =
      yaml +
      '---\napiVersion: v1\nkind: Service\nmetadata: { name: aaa-solo, namespace: shop }\nspec:\n  selector: { app: cart, version: v1 }\n  ports: [{ name: http, port: 80, targetPort: 8080 }]\n';
    const findings = diagnose(snapshotOf(solo), { now: NOW }).findings.filter(
      (x) => x.code === 'strict-plaintext-clients',
    );
    const alone = findings
      .flatMap((x) => x.remediations)
      .find((p) => p.id === 'set-mode-permissive:PeerAuthentication/shop/cart-v1-tuning');
    expect(alone?.risk).not.toContain('Alone this repairs no call');
    expect(callsChangedBy(alone as RemediationPlan, solo).repaired).toContain(
      'legacy/batch -> shop/aaa-solo:80',
    );
    // Every finding keeps a plan.
    for (const x of findings) expect(x.remediations.length).toBeGreaterThan(0);
  });
});
