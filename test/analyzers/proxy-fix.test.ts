// A client without a proxy is given one according to why it has none. Labelling its namespace for
// injection helps only where the injector would then select it: a pod that opts out needs its
// template changed, a hostNetwork pod can never have a sidecar, and a pod that opts out of its ambient
// namespace belongs in ambient (labelling that namespace for sidecars would move every ambient
// workload there to sidecars). Each plan is offered once, and what it does to the calls is checked
// with impact(), as `diff --base` shows it.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { app, matrixOf, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { callsChangedByPlans } from '../helpers/plan-effect.js';

const NOW = new Date('2026-11-30T00:00:00Z');

function check(yaml: string) {
  const findings = diagnose(snapshotOf(yaml), { now: NOW }).findings;
  const plans = findings.flatMap((f) => f.remediations);
  const of = (code: string) => findings.find((f) => f.code === code);
  return { findings, plans, ids: plans.map((p) => p.id), of };
}

function plan(plans: readonly RemediationPlan[], id: string): RemediationPlan {
  const found = plans.find((p) => p.id === id);
  if (!found) throw new Error(`no plan ${id} in ${plans.map((p) => p.id).join(', ')}`);
  return found;
}

// Namespaces a (a sidecar client) and b (a server behind STRICT), both labelled for injection.
const labelled = [namespace('a'), app('a', 'client'), namespace('b'), app('b', 'server')].join('');

describe('the fix for a client without a proxy follows why it has none', () => {
  it('a pod that opts out in a labelled namespace: ask for the sidecar in its template, not a label its namespace has', () => {
    const yaml = [
      labelled,
      peerAuthentication('b', 'default', 'STRICT'),
      app('a', 'optout', { labels: { 'sidecar.istio.io/inject': 'false' } }),
      app('a', 'quiet', { annotations: { 'sidecar.istio.io/inject': 'false' } }),
    ].join('');
    expect(matrixOf(yaml).get('a/optout -> b/server:80')).toBe('fail(strict-plaintext-clients)');
    const { ids, plans, of } = check(yaml);
    expect(ids.some((id) => id.startsWith('label-injection'))).toBe(false);
    const label = plan(plans, 'request-injection:Deployment/a/optout');
    expect(label.body).toEqual({
      spec: { template: { metadata: { labels: { 'sidecar.istio.io/inject': 'true' } } } },
    });
    const annotation = plan(plans, 'request-injection:Deployment/a/quiet');
    expect(annotation.body).toEqual({
      spec: { template: { metadata: { annotations: { 'sidecar.istio.io/inject': 'true' } } } },
    });
    expect(of('strict-plaintext-clients')?.fix).toContain(
      'a/optout opts out of injection (label sidecar.istio.io/inject=false), so labelling its namespace does not inject it',
    );
    expect(callsChangedByPlans(yaml, [label, annotation])).toEqual({
      repaired: ['a/optout -> b/server:80', 'a/quiet -> b/server:80'],
      broken: [],
    });
  });

  it('a hostNetwork pod never gets a sidecar: no injection plan, the PERMISSIVE and port fixes remain', () => {
    const agent = `---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: a }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec: { hostNetwork: true, containers: [{ name: c, ports: [{ containerPort: 9100 }] }] }
`;
    const yaml = [
      namespace('istio-system', 'none'),
      peerAuthentication('istio-system', 'default', 'STRICT'),
      labelled,
      agent,
    ].join('');
    expect(matrixOf(yaml).get('a/agent -> b/server:80')).toBe('fail(strict-plaintext-clients)');
    const { ids, plans, of } = check(yaml);
    expect(ids.filter((id) => /^(label-injection|request-injection|restart):/.test(id))).toEqual([]);
    expect(of('strict-plaintext-clients')?.fix).toMatch(
      /^a\/agent uses hostNetwork: the injector never gives it a sidecar/,
    );
    const repairs = (id: string) => callsChangedByPlans(yaml, [plan(plans, id)]);
    expect(repairs('create-permissive:PeerAuthentication/b/default')).toEqual({
      repaired: ['a/agent -> b/server:80'],
      broken: [],
    });
    expect(repairs('port-exception:PeerAuthentication/a/client-port-8080:8080')).toEqual({
      repaired: ['a/agent -> a/client:80'],
      broken: [],
    });
  });

  it('a pod that opts out of its ambient namespace is enrolled in ambient, never the namespace moved to sidecars', () => {
    const yaml = [
      namespace('amb', 'ambient'),
      app('amb', 'optout', { labels: { 'istio.io/dataplane-mode': 'none' } }),
      app('amb', 'sc', { labels: { 'sidecar.istio.io/inject': 'true' } }),
      peerAuthentication('amb', 'default', 'STRICT'),
      namespace('legacy', 'none'),
      app('legacy', 'old'),
    ].join('');
    const before = matrixOf(yaml);
    expect(before.get('amb/optout -> amb/sc:80')).toBe('fail(strict-plaintext-clients)');
    expect(before.get('legacy/old -> amb/sc:80')).toBe('fail(strict-plaintext-clients)');
    const { ids, plans, of } = check(yaml);
    expect(ids).not.toContain('label-injection:Namespace/amb');
    // Enrolled, optout's calls to sc would still be reset (sc's sidecar does not accept HBONE): the
    // failing calls get no enrolment, the finding about optout's own unenforced STRICT does.
    const strict = of('strict-plaintext-clients');
    expect(strict?.remediations.map((p) => p.id)).not.toContain('ambient-enrol:Deployment/amb/optout');
    expect(strict?.fix).toContain('amb/optout opts out of ambient namespace amb');
    const missing = of('sidecar-missing');
    expect(missing?.remediations.map((p) => p.id)).toEqual(['ambient-enrol:Deployment/amb/optout']);
    expect(missing?.fix).not.toContain('istio-injection=enabled');
    const enrol = plan(plans, 'ambient-enrol:Deployment/amb/optout');
    expect(enrol.body).toEqual({
      spec: { template: { metadata: { labels: { 'istio.io/dataplane-mode': 'ambient' } } } },
    });
    // ztunnel now enforces the STRICT that covers optout: exactly the plaintext caller is reset, as
    // the finding says.
    expect(callsChangedByPlans(yaml, [enrol])).toEqual({
      repaired: [],
      broken: ['legacy/old -> amb/optout:80'],
    });
    // legacy itself is an ordinary namespace: labelling it still gives old its sidecar.
    expect(callsChangedByPlans(yaml, [plan(plans, 'label-injection:Namespace/legacy')])).toEqual({
      repaired: ['legacy/old -> amb/sc:80'],
      broken: [],
    });
  });

  it('a plan that fixes a workload both as a caller and as a server is offered once', () => {
    // mixed-v2 opts out in a labelled namespace under STRICT: its calls fail, and its own STRICT is
    // not enforced (sidecar-missing).
    const yaml = [
      labelled,
      peerAuthentication('b', 'default', 'STRICT'),
      app('b', 'mixed-v2', { labels: { 'sidecar.istio.io/inject': 'false' } }),
      namespace('legacy', 'none'),
      app('legacy', 'old'),
    ].join('');
    const { ids, of } = check(yaml);
    expect(ids.length).toBe(new Set(ids).size);
    expect(ids.some((id) => id === 'label-injection:Namespace/b')).toBe(false);
    expect(of('strict-plaintext-clients')?.remediations.map((p) => p.id)).toContain(
      'request-injection:Deployment/b/mixed-v2',
    );
    const missing = of('sidecar-missing');
    expect(missing?.remediations).toEqual([]);
    expect(missing?.fix).toContain('b/mixed-v2 opts out of injection');
    // Scoped to one namespace, the plan is still listed once, and under a finding in scope.
    const scoped = diagnose(snapshotOf(yaml), { now: NOW, namespace: 'b' }).findings.flatMap((f) =>
      f.remediations.map((p) => p.id),
    );
    expect(scoped.filter((id) => id === 'request-injection:Deployment/b/mixed-v2')).toHaveLength(1);
  });
});
