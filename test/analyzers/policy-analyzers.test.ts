import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { app, destinationRule, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const only = (yaml: string, code: string) =>
  diagnose(snapshotOf(yaml)).findings.filter((f) => f.code === code);

describe('policy analyzers', () => {
  it('peerauthentication-conflict: the newer of two namespace-wide policies is ignored', () => {
    const yaml =
      namespace('foo') +
      app('foo', 'web') +
      peerAuthentication('foo', 'strict', 'STRICT', { created: '2026-05-01T00:00:00Z' }) +
      peerAuthentication('foo', 'permissive', 'PERMISSIVE', { created: '2026-01-01T00:00:00Z' });
    const [f] = only(yaml, 'peerauthentication-conflict');
    expect(f?.resource.name).toBe('strict');
    expect(f?.related[0]?.name).toBe('permissive');
    expect(f?.severity).toBe('error');
  });

  it('peerauthentication-conflict: two selector policies on one workload', () => {
    const yaml =
      namespace('foo') +
      app('foo', 'web') +
      peerAuthentication('foo', 'a', 'STRICT', { selector: { app: 'web' } }) +
      peerAuthentication('foo', 'b', 'STRICT', { selector: { app: 'web' } });
    const [f] = only(yaml, 'peerauthentication-conflict');
    expect(f?.resource.name).toBe('b');
    expect(f?.severity).toBe('warning');
  });

  it('policy-only STRICT reminders skip the policies Istio ignores, and offer no plan for them', () => {
    const yaml =
      peerAuthentication('bookinfo', 'productpage', 'STRICT', { selector: { app: 'productpage' } }) +
      // Every workload it selects is selected by the older productpage too: ignored everywhere.
      peerAuthentication('bookinfo', 'productpage-v1', 'STRICT', {
        selector: { app: 'productpage', version: 'v1' },
        ports: { 80: 'DISABLE' },
      }) +
      // A broader selector than the older reviews-v1: it applies to the other versions.
      peerAuthentication('bookinfo', 'reviews-v1', 'PERMISSIVE', {
        selector: { app: 'reviews', version: 'v1' },
        created: '2025-01-01T00:00:00Z',
      }) +
      peerAuthentication('bookinfo', 'reviews', 'STRICT', {
        selector: { app: 'reviews' },
        created: '2026-01-01T00:00:00Z',
      }) +
      peerAuthentication('shop', 'older', 'STRICT', { created: '2025-01-01T00:00:00Z' }) +
      peerAuthentication('shop', 'younger', 'STRICT', { created: '2026-01-01T00:00:00Z' });
    const found = only(yaml, 'strict-plaintext-clients');
    expect(found.map((f) => f.resource.name).sort()).toEqual(['older', 'productpage', 'reviews']);
    const targets = found.flatMap((f) => f.remediations.map((p) => p.target.name));
    expect(targets).not.toContain('productpage-v1');
    expect(targets).not.toContain('younger');
  });

  it('port-level-mtls-service-port: the key is the Service port, not the container port', () => {
    const yaml =
      namespace('bar') +
      app('bar', 'httpbin', { port: 8000, targetPort: 8080 }) +
      peerAuthentication('bar', 'p', 'STRICT', { selector: { app: 'httpbin' }, ports: { 8000: 'DISABLE' } });
    const [f] = only(yaml, 'port-level-mtls-service-port');
    expect(f?.message).toContain('listens on 8080');
    expect(f?.path).toBe('spec.portLevelMtls.8000');
    const right =
      namespace('bar') +
      app('bar', 'httpbin', { port: 8000, targetPort: 8080 }) +
      peerAuthentication('bar', 'p', 'STRICT', { selector: { app: 'httpbin' }, ports: { 8080: 'DISABLE' } });
    expect(only(right, 'port-level-mtls-service-port')).toEqual([]);
  });

  it('selector-matches-nothing: a policy selector and a DR subset that select no pod', () => {
    const subsets = '\n  subsets:\n    - name: v2\n      labels:\n        version: v2';
    const yaml =
      namespace('foo') +
      app('foo', 'web') +
      peerAuthentication('foo', 'typo', 'STRICT', { selector: { app: 'wbe' } }) +
      destinationRule('foo', 'dr', 'web', undefined, subsets);
    const found = only(yaml, 'selector-matches-nothing');
    expect(found.map((f) => f.resource.kind).sort()).toEqual(['DestinationRule', 'PeerAuthentication']);
    expect(found.find((f) => f.resource.kind === 'DestinationRule')?.path).toBe('spec.subsets[0].labels');
  });

  it('selector-matches-nothing: subset labels istiod adds from the node (region, zone, hostname) are not judged from pod labels', () => {
    const subsets = (labels: string) => `\n  subsets:\n    - name: s\n      labels:\n${labels}`;
    const base = namespace('foo') + app('foo', 'web');
    const zone = '        topology.kubernetes.io/zone: us-west-1a';
    expect(
      only(base + destinationRule('foo', 'dr', 'web', undefined, subsets(zone)), 'selector-matches-nothing'),
    ).toEqual([]);
    // Mixed with a pod label: judged by the pod label alone.
    const mixed = `${zone}\n        app: web`;
    expect(
      only(base + destinationRule('foo', 'dr', 'web', undefined, subsets(mixed)), 'selector-matches-nothing'),
    ).toEqual([]);
    const wrong = `${zone}\n        version: v9`;
    expect(
      only(base + destinationRule('foo', 'dr', 'web', undefined, subsets(wrong)), 'selector-matches-nothing'),
    ).toHaveLength(1);
  });

  it('sidecar-missing: no proxy under STRICT, and pods started before injection', () => {
    const yaml =
      namespace('legacy', 'none') + app('legacy', 'old') + peerAuthentication('legacy', 'default', 'STRICT');
    expect(only(yaml, 'sidecar-missing')[0]?.message).toContain('not enforced');
    const pod = `${namespace('shop')}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: cart-7d9c-abcde\n  namespace: shop\n  labels:\n    app: cart\n    pod-template-hash: 7d9c\n  ownerReferences:\n    - kind: ReplicaSet\n      name: cart-7d9c\nspec:\n  containers:\n    - name: cart\n      image: example/cart\n`;
    const [f] = only(pod, 'sidecar-missing');
    expect(f?.resource).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'cart' });
    expect(f?.remediations[0]?.kubectl).toBe('kubectl rollout restart deployment/cart -n shop');
  });

  it('probe-rewrite-disabled: STRICT with HTTP probes and the rewrite annotation off', () => {
    const probed = app('foo', 'web', {
      annotations: { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' },
    }).replace(
      '          ports:\n            - containerPort: 8080',
      '          ports:\n            - containerPort: 8080\n          readinessProbe:\n            httpGet:\n              path: /ready\n              port: 8080',
    );
    const yaml = namespace('foo') + probed + peerAuthentication('foo', 'default', 'STRICT');
    expect(only(yaml, 'probe-rewrite-disabled')).toHaveLength(1);
    expect(
      only(yaml.replace("'false'", "'true'").replace('"false"', '"true"'), 'probe-rewrite-disabled'),
    ).toEqual([]);
  });

  it("destinationrule-shadowed: a client namespace's copy overrides the owner's TLS; a port entry drops tls", () => {
    const yaml =
      namespace('a') +
      app('a', 'client') +
      namespace('b') +
      app('b', 'api') +
      destinationRule('b', 'owner', 'api', 'ISTIO_MUTUAL') +
      destinationRule('a', 'copy', 'api.b.svc.cluster.local', 'DISABLE');
    const [f] = only(yaml, 'destinationrule-shadowed');
    expect(f?.resource.name).toBe('copy');
    expect(f?.related[0]?.name).toBe('owner');
    const port = destinationRule(
      'b',
      'p',
      'api',
      'ISTIO_MUTUAL',
      '\n    portLevelSettings:\n      - port:\n          number: 80\n        loadBalancer:\n          simple: ROUND_ROBIN',
    );
    expect(only(namespace('b') + app('b', 'api') + port, 'destinationrule-shadowed')[0]?.path).toBe(
      'spec.trafficPolicy.portLevelSettings[0]',
    );
  });

  it('destinationrule-host-not-found: a dotted short name is taken literally', () => {
    const yaml =
      namespace('default') +
      app('default', 'reviews') +
      destinationRule('default', 'r', 'reviews.default', 'ISTIO_MUTUAL');
    const [f] = only(yaml, 'destinationrule-host-not-found');
    expect(f?.message).toContain('did you mean reviews.default.svc.cluster.local');
  });

  it('mesh-not-strict: names the next migration step per namespace', () => {
    const yaml = namespace('ready') + app('ready', 'a') + namespace('legacy', 'none') + app('legacy', 'b');
    const messages = only(yaml, 'mesh-not-strict').map((f) => f.message);
    expect(messages.some((m) => m.includes('ready') && m.includes('switch the namespace to STRICT'))).toBe(
      true,
    );
    expect(messages.some((m) => m.includes('legacy') && m.includes('add sidecars'))).toBe(true);
    expect(only(yaml + peerAuthentication('istio-system', 'default', 'STRICT'), 'mesh-not-strict')).toEqual(
      [],
    );
  });
});
