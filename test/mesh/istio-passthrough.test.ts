// Issue 14, port-level traffic settings other than tls: loadBalancer PASSTHROUGH, through `matrix -o json`
// and `check -o json`. Istio: cluster_builder.go applyDestinationRule (the cluster is built from the
// port-level policy, BestEffortInferServiceMTLSMode is given the top-level one), cluster_traffic_policy.go
// applyLoadBalancer (PASSTHROUGH → ORIGINAL_DST; cluster_test.go TestClusterDiscoveryTypeAndLbPolicyPassthrough),
// cluster_tls.go applyUpstreamTLSSettings (no per-endpoint socket match on ORIGINAL_DST clusters).
import { describe, expect, it } from 'vitest';
import { brief, checkJson, matrixJson } from '../helpers/cli-mesh.js';
import { app, destinationRule, namespace, peerAuthentication } from '../helpers/mesh.js';

const clients = `${namespace('client')}${app('client', 'sleep')}`;
/** Service web with one injected pod (web) and one opted out (web-plain). */
const mixed =
  namespace('srv') +
  app('srv', 'web') +
  app('srv', 'web-plain', { labels: { app: 'web', 'sidecar.istio.io/inject': 'false' } }).split(
    '---\napiVersion: v1\nkind: Service',
  )[0];
const portEntry = (extra: string) =>
  `\n  trafficPolicy:${extra}\n    portLevelSettings:\n      - port:\n          number: 80\n        loadBalancer:\n          simple: PASSTHROUGH`;
const WEB = 'client/sleep -> srv/web:80';

describe('port-level loadBalancer PASSTHROUGH', () => {
  it('makes the port ORIGINAL_DST: Istio mTLS to every pod, the sidecar-less one fails; top-level PASSTHROUGH instead falls back to plaintext', async () => {
    expect(brief((await matrixJson(clients + mixed)).pairs.get(WEB))).toBe('ok/ISTIO_MUTUAL');
    const portLevel = clients + mixed + destinationRule('srv', 'lb', 'web', undefined, portEntry(''));
    const { pairs } = await matrixJson(portLevel);
    expect(brief(pairs.get(WEB))).toBe('fail(port-passthrough-mtls)/ISTIO_MUTUAL');
    expect(pairs.get(WEB)?.server.proxy).toBe('none');

    const { code, findings } = await checkJson(portLevel);
    expect(code).toBe(1);
    const f = findings.find((x) => x.code === 'port-passthrough-mtls');
    expect(f?.resource).toEqual({ kind: 'DestinationRule', namespace: 'srv', name: 'lb' });
    expect(f?.why?.join(' ')).toContain('Istio inconsistency');

    // The same PASSTHROUGH at the top level: BestEffortInferServiceMTLSMode sees it and a pod without a
    // sidecar turns the whole service plaintext (TestBestEffortInferServiceMTLSMode "headless service with instances").
    const topLevel =
      clients +
      mixed +
      destinationRule(
        'srv',
        'lb',
        'web',
        undefined,
        '\n  trafficPolicy:\n    loadBalancer:\n      simple: PASSTHROUGH',
      );
    expect(brief((await matrixJson(topLevel)).pairs.get(WEB))).toBe('ok/DISABLE');
  });

  it('top-level PASSTHROUGH with a port entry that has none: the cluster keeps the per-endpoint socket match, so a DISABLE pod gets plaintext', async () => {
    const yaml =
      clients +
      namespace('srv') +
      app('srv', 'web') +
      app('srv', 'web-old', { labels: { app: 'web', version: 'old' } }).split(
        '---\napiVersion: v1\nkind: Service',
      )[0] +
      peerAuthentication('srv', 'old', 'DISABLE', { selector: { version: 'old' } }) +
      destinationRule(
        'srv',
        'lb',
        'web',
        undefined,
        '\n  trafficPolicy:\n    loadBalancer:\n      simple: PASSTHROUGH\n    portLevelSettings:\n      - port:\n          number: 80\n        connectionPool:\n          tcp:\n            maxConnections: 10',
      );
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(WEB))).toBe('ok/ISTIO_MUTUAL');
    // Without the port entry the cluster is ORIGINAL_DST: mTLS to both, and the DISABLE pod fails.
    const whole = yaml.replace(
      '\n    portLevelSettings:\n      - port:\n          number: 80\n        connectionPool:\n          tcp:\n            maxConnections: 10',
      '',
    );
    expect(brief((await matrixJson(whole)).pairs.get(WEB))).toBe(
      'fail(headless-service-plaintext)/ISTIO_MUTUAL',
    );
  });
});
