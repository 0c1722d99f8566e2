// The plan offered for a DestinationRule whose TLS breaks calls: applied (as the impact engine of
// `diff --base` and `fix` judges it), it repairs the failing calls and breaks none.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { app, destinationRule, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { callsChangedBy } from '../helpers/plan-effect.js';

const NOW = new Date('2026-11-30T00:00:00Z');

function conflict(yaml: string) {
  const found = diagnose(snapshotOf(yaml), { now: NOW }).findings.filter(
    (f) => f.code === 'destinationrule-tls-conflict',
  );
  expect(found).toHaveLength(1);
  return found[0] as NonNullable<(typeof found)[number]>;
}

describe('destinationrule-tls-conflict plans that switch to ISTIO_MUTUAL', () => {
  it('drop the SIMPLE rule’s sni and subjectAltNames, which ISTIO_MUTUAL would check the server against', () => {
    const yaml = `${namespace('a')}${app('a', 'client')}${namespace('b')}${app('b', 'server')}${peerAuthentication('b', 'default', 'STRICT')}${destinationRule('b', 'tls-in-mesh', 'server', 'SIMPLE', '\n      sni: server.example.com\n      subjectAltNames: [server.example.com]')}`;
    const f = conflict(yaml);
    const plan = f.remediations[0] as NonNullable<(typeof f.remediations)[number]>;
    expect(plan.id).toBe('set-tls-istio-mutual:DestinationRule/b/tls-in-mesh:spec.trafficPolicy.tls');
    expect(plan.risk).toContain('(sni, subjectAltNames) are removed');
    // The printed command replaces the whole block; applied, the edit removes the fields the live object has.
    expect(plan.kubectl).toContain(
      `--type=json -p '[{"op":"add","path":"/spec/trafficPolicy/tls","value":{"mode":"ISTIO_MUTUAL"}}]'`,
    );
    const { repaired, broken, result } = callsChangedBy(plan, yaml);
    expect(repaired).toEqual(['a/client -> b/server:80', 'b/server -> b/server:80']);
    expect(broken).toEqual([]);
    expect(result.findings.opened.map((o) => o.code)).not.toContain('destinationrule-san-mismatch');
  });
});
