// The API server calls admission webhooks from outside the mesh (its own TLS, no Istio certificate):
// a webhook port that requires mTLS resets it. Failing closed, every request the webhook matches is
// refused; failing open, the webhook is skipped. The fix is Istio's own advice for webhooks: keep the
// port PERMISSIVE (or out of the sidecar), and the migration to STRICT does that first.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { computePosture } from '../../src/digest/posture.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { impact } from '../../src/engine/impact.js';
import { planImpact } from '../../src/impact/plan-impact.js';
import { applyWhatIf } from '../../src/impact/what-if.js';
import { impactSummaryLines } from '../../src/render/diff-summary.js';
import { renderImpactText } from '../../src/render/diff-text.js';
import { namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-30T00:00:00Z');

const webhookServer = (annotations = '') => `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: cert-manager-webhook, namespace: cert-manager }
spec:
  selector: { matchLabels: { app: webhook } }
  template:
    metadata: { labels: { app: webhook }${annotations} }
    spec: { containers: [{ name: webhook, ports: [{ name: https, containerPort: 10250 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: cert-manager-webhook, namespace: cert-manager }
spec:
  selector: { app: webhook }
  ports: [{ name: https, port: 443, targetPort: https }]
`;

const configuration = (failurePolicy = '', service = 'cert-manager-webhook') => `---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: cert-manager-webhook }
webhooks:
  - name: webhook.cert-manager.io
    clientConfig: { service: { name: ${service}, namespace: cert-manager, path: /validate } }${failurePolicy ? `\n    failurePolicy: ${failurePolicy}` : ''}
    admissionReviewVersions: [v1]
    sideEffects: None
`;

const mesh = (mode: string, rest: string) =>
  `${namespace('istio-system', 'none')}${peerAuthentication('istio-system', 'default', mode)}${namespace('cert-manager')}${rest}`;

const findings = (yaml: string) => diagnose(snapshotOf(yaml), { now: NOW }).findings;
const webhookFindings = (yaml: string) => findings(yaml).filter((f) => f.code === 'admission-webhook-strict');

describe('admission-webhook-strict', () => {
  it('a STRICT webhook port fails the API server; the offered exception clears it', () => {
    const yaml = mesh('STRICT', webhookServer() + configuration());
    const [f, ...more] = webhookFindings(yaml);
    expect(more).toEqual([]);
    expect(f).toMatchObject({
      severity: 'error',
      resource: { kind: 'ValidatingWebhookConfiguration', name: 'cert-manager-webhook' },
      namespaces: ['cert-manager', 'istio-system'],
    });
    expect(f?.message).toContain(
      'calls admission webhook webhook.cert-manager.io (ValidatingWebhookConfiguration cert-manager-webhook) at cert-manager/cert-manager-webhook:443, but cert-manager/cert-manager-webhook requires mTLS on port 10250',
    );
    expect(f?.message).toContain('every API request the webhook matches is refused');
    expect(f?.remediations.map((p) => p.id)).toEqual([
      'port-exception:PeerAuthentication/cert-manager/cert-manager-webhook-46482ab9-port-10250:10250',
    ]);
    const fixed = `${yaml}---\n${stringify(f?.remediations[0]?.body)}`;
    expect(webhookFindings(fixed)).toEqual([]);
  });

  it('failing open is an error too: the webhook is skipped and requests go through unchecked', () => {
    const [f] = webhookFindings(mesh('STRICT', webhookServer() + configuration('Ignore')));
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('go through unchecked');
  });

  it('nothing to say when the port is out of the sidecar, PERMISSIVE, served without a proxy, or unknown', () => {
    const excluded = webhookServer(
      ', annotations: { traffic.sidecar.istio.io/excludeInboundPorts: "10250" }',
    );
    expect(webhookFindings(mesh('STRICT', excluded + configuration()))).toEqual([]);
    expect(webhookFindings(mesh('PERMISSIVE', webhookServer() + configuration()))).toEqual([]);
    const noProxy = `${namespace('istio-system', 'none')}${peerAuthentication('istio-system', 'default', 'STRICT')}${namespace('cert-manager', 'none')}${webhookServer()}${configuration()}`;
    expect(webhookFindings(noProxy)).toEqual([]);
    // A Service the input does not hold, or a port it does not serve: nothing judged, nothing thrown.
    expect(webhookFindings(mesh('STRICT', webhookServer() + configuration('', 'elsewhere')))).toEqual([]);
    const otherPort = configuration().replace('path: /validate', 'path: /validate, port: 8443');
    expect(webhookFindings(mesh('STRICT', webhookServer() + otherPort))).toEqual([]);
  });

  it('the migration keeps the webhook port PERMISSIVE before it offers STRICT for the namespace', () => {
    const yaml = mesh('PERMISSIVE', webhookServer() + configuration());
    const all = findings(yaml);
    const step = all.find(
      (f) => f.code === 'mesh-not-strict' && f.message.startsWith('Namespace cert-manager'),
    );
    expect(step?.message).toContain(
      'the API server (no sidecar) calls port 10250 of cert-manager-webhook (admission webhook webhook.cert-manager.io): keep that port PERMISSIVE',
    );
    expect(step?.remediations.map((p) => p.id)).toEqual([
      'port-exception:PeerAuthentication/cert-manager/cert-manager-webhook-46482ab9-port-10250:10250',
    ]);
    const diagnosis = diagnose(snapshotOf(yaml), { now: NOW });
    const posture = computePosture(diagnosis.mesh, diagnosis.findings, NOW);
    expect(posture.namespaces[0]?.nextStep).toMatch(
      /^keep the admission webhook port cert-manager-webhook:10250 PERMISSIVE \(the API server has no sidecar\), then switch/,
    );
    // With the exception in place, the namespace may turn STRICT without breaking the webhook.
    const excepted = `${yaml}---\n${stringify(step?.remediations[0]?.body)}`;
    const strictNow = excepted.replace(
      'name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: PERMISSIVE',
      'name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: STRICT',
    );
    expect(strictNow).not.toBe(excepted);
    expect(webhookFindings(strictNow)).toEqual([]);
  });
});

describe('a change that breaks a webhook but no call between workloads', () => {
  it('is not "breaks nothing": the impact names the error it opens, for diff, what-if and fix requests', () => {
    const snapshot = snapshotOf(mesh('PERMISSIVE', webhookServer() + configuration()));
    const result = impact(snapshot, applyWhatIf(snapshot, { namespace: 'cert-manager', mode: 'STRICT' }), {
      now: NOW,
    });
    expect(result.counts.broken).toBe(0);
    expect(impactSummaryLines(result)).toContain(
      'findings: 1 resolved, 1 opened: error admission-webhook-strict',
    );
    const text = renderImpactText(result, { color: false });
    expect(text).toContain(
      'breaks no call between workloads, repairs 0, but opens 1 error finding(s): admission-webhook-strict',
    );
    expect(text).not.toContain('breaks nothing');
    const written = {
      object: {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: 'cert-manager' },
        spec: { mtls: { mode: 'STRICT' } },
      },
    };
    expect(planImpact(snapshot, written, { now: NOW })).toMatchObject({
      computed: true,
      breaks: 0,
      opensErrors: 1,
    });
  });
});

describe('review cases', () => {
  const selectorPolicy = (ports: string) => `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: wh-metrics, namespace: cert-manager, creationTimestamp: "2024-01-01T00:00:00Z" }
spec:
  selector: { matchLabels: { app: webhook } }
  portLevelMtls: { ${ports} }
`;

  it('the exception goes into the selector policy that already covers the pods (a second would be ignored)', () => {
    const yaml = mesh(
      'STRICT',
      webhookServer() + configuration() + selectorPolicy('"8080": { mode: PERMISSIVE }'),
    );
    const [f] = webhookFindings(yaml);
    expect(f?.remediations.map((p) => p.id)).toEqual([
      'port-exception:PeerAuthentication/cert-manager/wh-metrics:10250',
    ]);
    // The patch, made: both ports in the one policy, and nothing left to report.
    const patched = yaml.replace(
      '"8080": { mode: PERMISSIVE }',
      '"8080": { mode: PERMISSIVE }, "10250": { mode: PERMISSIVE }',
    );
    expect(webhookFindings(patched)).toEqual([]);
    expect(findings(patched).some((x) => x.code === 'peerauthentication-conflict')).toBe(false);
  });

  it('an ambient webhook pod is judged as ztunnel enforces it, and the migration keeps its port open first', () => {
    const ambient = (mode: string, ports: string) =>
      `${namespace('istio-system', 'none')}${peerAuthentication('istio-system', 'default', mode)}${namespace('cert-manager', 'ambient')}${webhookServer()}${configuration()}${selectorPolicy(ports)}`;
    // A DISABLE exception under an inherited STRICT never reaches ztunnel: the API server is reset.
    const [f] = webhookFindings(ambient('STRICT', '"10250": { mode: DISABLE }'));
    expect(f?.why.join(' ')).toContain('is STRICT for ztunnel although its policy says DISABLE');
    expect(f?.fix).not.toContain('excludeInboundPorts');
    // PERMISSIVE today: the same policy would not protect the port once the namespace is STRICT.
    const step = findings(ambient('PERMISSIVE', '"10250": { mode: DISABLE }')).find(
      (x) => x.code === 'mesh-not-strict' && x.message.startsWith('Namespace cert-manager'),
    );
    expect(step?.message).toContain('keep that port PERMISSIVE');
    expect(step?.remediations.some((p) => p.id.startsWith('create-strict'))).toBe(false);
  });

  it('diff sees an added webhook configuration, and a reworded error is not a new one', () => {
    const base = mesh('STRICT', webhookServer());
    const head = base + configuration();
    const added = impact(snapshotOf(base), snapshotOf(head), { now: NOW });
    // The changed object is the configuration (a Kubernetes object); the webhook is named beside it.
    expect(added.changed.map((c) => `${c.change} ${c.kind} ${c.name} (${c.webhook})`)).toEqual([
      'added ValidatingWebhookConfiguration cert-manager-webhook (webhook.cert-manager.io)',
    ]);
    expect(added.findings.opened.map((f) => f.code)).toEqual(['admission-webhook-strict']);
    // Ignore → Fail changes the configuration too.
    const ignore = impact(snapshotOf(base + configuration('Ignore')), snapshotOf(head), { now: NOW });
    expect(ignore.changed).toHaveLength(1);
    expect(impactSummaryLines(ignore).join('\n')).not.toContain('opened: error');
  });
});
