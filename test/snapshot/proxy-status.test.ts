// Injection as the webhooks decide it (istio/istio: mutatingwebhook.yaml selectors, inject.go injectRequired).
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../src/snapshot/build-snapshot.js';
import { decideProxy } from '../../src/snapshot/proxy-status.js';

const decide = (
  namespaceLabels: Record<string, string>,
  podLabels: Record<string, string> = {},
  podAnnotations: Record<string, string> = {},
  containerNames: string[] = ['app'],
) =>
  decideProxy({
    namespaceLabels,
    podLabels,
    podAnnotations,
    containerNames,
    hostNetwork: false,
    namespace: 'ns',
  }).proxy;

describe('sidecar and ambient status', () => {
  it.each([
    ['namespace istio-injection=enabled', { 'istio-injection': 'enabled' }, {}, {}, 'sidecar'],
    ['namespace istio.io/rev', { 'istio.io/rev': 'canary' }, {}, {}, 'sidecar'],
    [
      'pod label inject=true in an unlabelled namespace',
      {},
      { 'sidecar.istio.io/inject': 'true' },
      {},
      'sidecar',
    ],
    [
      'pod label inject=false opts out',
      { 'istio-injection': 'enabled' },
      { 'sidecar.istio.io/inject': 'false' },
      {},
      'none',
    ],
    [
      'legacy annotation false opts out once the webhook runs',
      { 'istio-injection': 'enabled' },
      {},
      { 'sidecar.istio.io/inject': 'false' },
      'none',
    ],
    [
      'annotation true alone: no webhook selects the pod',
      {},
      {},
      { 'sidecar.istio.io/inject': 'true' },
      'none',
    ],
    [
      'istio-injection=disabled wins over the pod label',
      { 'istio-injection': 'disabled' },
      { 'sidecar.istio.io/inject': 'true' },
      {},
      'none',
    ],
    [
      'istio-injection=true (not "enabled") matches no webhook',
      { 'istio-injection': 'true', 'istio.io/rev': 'default' },
      {},
      {},
      'none',
    ],
    [
      'label values are case-sensitive: TRUE selects nothing',
      {},
      { 'sidecar.istio.io/inject': 'TRUE' },
      {},
      'none',
    ],
    ['ambient namespace', { 'istio.io/dataplane-mode': 'ambient' }, {}, {}, 'ambient'],
    [
      'ambient namespace, pod opted out',
      { 'istio.io/dataplane-mode': 'ambient' },
      { 'istio.io/dataplane-mode': 'none' },
      {},
      'none',
    ],
  ])('%s', (_name, ns, labels, annotations, expected) => {
    expect(decide(ns, labels, annotations)).toBe(expected);
  });

  it('a real istio-proxy container is a sidecar whatever the labels say', () => {
    expect(decide({}, {}, {}, ['app', 'istio-proxy'])).toBe('sidecar');
  });
});

describe('injection decided per namespace in a snapshot', () => {
  const object = (value: Record<string, unknown>) => ({ object: value, lineOf: () => 0 });
  const namespace = (name: string, labels: Record<string, string> = {}) =>
    object({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const deployment = (ns: string, name: string, labels: Record<string, string> = {}) =>
    object({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'app' }] } } },
    });

  it("matches each webhook's namespaceSelector against each workload's own namespace", () => {
    // An `auto.` webhook selecting namespaces by name (Kubernetes labels each with kubernetes.io/metadata.name).
    const webhooks = object({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'istio-sidecar-injector' },
      webhooks: [
        {
          name: 'auto.sidecar-injector.istio.io',
          namespaceSelector: {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team-a'] }],
          },
          objectSelector: {
            matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }],
          },
        },
      ],
    });
    const snapshot = buildSnapshot([
      webhooks,
      namespace('team-a'),
      namespace('team-b'),
      deployment('team-a', 'one'),
      deployment('team-b', 'two'),
      deployment('team-a', 'three', { 'sidecar.istio.io/inject': 'false' }),
      deployment('team-a', 'four'),
      deployment('team-b', 'five'),
    ]);
    const proxies = Object.fromEntries(snapshot.workloads.map((w) => [w.meta.name, w.proxy]));
    expect(proxies).toEqual({ one: 'sidecar', two: 'none', three: 'none', four: 'sidecar', five: 'none' });
  });
});
