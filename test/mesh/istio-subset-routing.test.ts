// Issue 14, area 8: VirtualService subset routing, through `matrix -o json` and `check -o json`. Traffic a
// VirtualService sends to a subset uses that subset's cluster: its TLS (util.go MergeSubsetTrafficPolicy;
// cluster_builder_test.go TestApplyDestinationRule "destination rule with subset traffic policy") and
// only the endpoints with the subset's labels (TestApplyDestinationRule "subset with labels in both").
// Which VirtualService a client uses: virtualservice.go SelectVirtualServices, push_context.go
// initVirtualServices (exportTo, short names). The scenario is istio.io's Bookinfo "Request Routing" task.
import { describe, expect, it } from 'vitest';
import { brief, checkJson, matrixJson } from '../helpers/cli-mesh.js';
import { app, namespace, peerAuthentication } from '../helpers/mesh.js';

const deployment = (name: string, version: string) =>
  app('bookinfo', name, { port: 9080, targetPort: 9080, labels: { app: 'reviews', version } }).split(
    '---\napiVersion: v1\nkind: Service',
  )[0];
const reviewsService = `---
apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: bookinfo
spec:
  selector:
    app: reviews
  ports:
    - name: http
      port: 9080
      targetPort: 9080
`;
const bookinfo =
  namespace('bookinfo') +
  app('bookinfo', 'productpage', { port: 9080, targetPort: 9080 }) +
  deployment('reviews-v1', 'v1') +
  deployment('reviews-v2', 'v2') +
  reviewsService +
  peerAuthentication('bookinfo', 'default', 'STRICT');

/** Subset v2 turns TLS off: a STRICT reviews-v2 then resets its callers. */
const rule = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: bookinfo
spec:
  host: reviews
  subsets:
    - name: v1
      labels:
        version: v1
    - name: v2
      labels:
        version: v2
      trafficPolicy:
        tls:
          mode: DISABLE
`;

function virtualService(
  subset: string,
  opts: { ns?: string; exportTo?: string; matchPort?: number } = {},
): string {
  const exportTo = opts.exportTo ? `\n  exportTo:\n    - "${opts.exportTo}"` : '';
  const head = opts.matchPort ? ` match:\n        - port: ${opts.matchPort}\n      route` : ' route';
  return `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: ${opts.ns ?? 'bookinfo'}
spec:
  hosts:
    - reviews${opts.ns && opts.ns !== 'bookinfo' ? '.bookinfo.svc.cluster.local' : ''}${exportTo}
  http:
    -${head}:
        - destination:
            host: reviews${opts.ns && opts.ns !== 'bookinfo' ? '.bookinfo.svc.cluster.local' : ''}
            subset: ${subset}
`;
}

const PAIR = 'bookinfo/productpage -> bookinfo/reviews:9080';

describe('VirtualService subset routing', () => {
  it("traffic routed to a subset uses the subset's TLS: v1 keeps auto mTLS, v2's DISABLE is reset by STRICT", async () => {
    // Without a VirtualService the client uses the service's own cluster: no tls, auto mTLS.
    expect(brief((await matrixJson(bookinfo + rule)).pairs.get(PAIR))).toBe('ok/ISTIO_MUTUAL');
    expect(brief((await matrixJson(bookinfo + rule + virtualService('v1'))).pairs.get(PAIR))).toBe(
      'ok/ISTIO_MUTUAL',
    );
    const { code, pairs } = await matrixJson(bookinfo + rule + virtualService('v2'));
    expect(code).toBe(1);
    expect(brief(pairs.get(PAIR))).toBe('fail(destinationrule-tls-conflict)/DISABLE');

    const check = await checkJson(bookinfo + rule + virtualService('v2'));
    const f = check.findings.find((x) => x.code === 'destinationrule-tls-conflict');
    expect(f?.resource).toEqual({ kind: 'DestinationRule', namespace: 'bookinfo', name: 'reviews' });
    expect(f?.message).toContain('spec.subsets[1].trafficPolicy.tls.mode: DISABLE');
    expect(f?.why?.join(' ')).toContain('VirtualService bookinfo/reviews routes these calls to subset v2');
  });

  it('a subset cluster reaches only the pods with its labels: routing to v1 never meets the DISABLE pod', async () => {
    // reviews-v2 turns its own mTLS off; subset v2 insists on ISTIO_MUTUAL, which that pod cannot read.
    const v2Disabled = peerAuthentication('bookinfo', 'v2', 'DISABLE', { selector: { version: 'v2' } });
    const ruleMutual = rule.replace('mode: DISABLE', 'mode: ISTIO_MUTUAL');
    // Routed to v2 the handshake fails; routed to v1, the v2 pod is never called.
    expect(
      brief((await matrixJson(bookinfo + v2Disabled + ruleMutual + virtualService('v2'))).pairs.get(PAIR)),
    ).toBe('fail(destinationrule-tls-conflict)/ISTIO_MUTUAL');
    expect(
      brief((await matrixJson(bookinfo + v2Disabled + ruleMutual + virtualService('v1'))).pairs.get(PAIR)),
    ).toBe('ok/ISTIO_MUTUAL');
  });

  it('only routes whose match takes the port count, and only VirtualServices exported to the client (SelectVirtualServices)', async () => {
    expect(
      brief((await matrixJson(bookinfo + rule + virtualService('v2', { matchPort: 9999 }))).pairs.get(PAIR)),
    ).toBe('ok/ISTIO_MUTUAL');
    expect(
      brief((await matrixJson(bookinfo + rule + virtualService('v2', { matchPort: 9080 }))).pairs.get(PAIR)),
    ).toBe('fail(destinationrule-tls-conflict)/DISABLE');
    // A VirtualService private to another namespace does not steer bookinfo's clients.
    const elsewhere = namespace('other') + virtualService('v2', { ns: 'other', exportTo: '.' });
    expect(brief((await matrixJson(bookinfo + rule + elsewhere)).pairs.get(PAIR))).toBe('ok/ISTIO_MUTUAL');
    // Public, it does.
    const everywhere = namespace('other') + virtualService('v2', { ns: 'other' });
    expect(brief((await matrixJson(bookinfo + rule + everywhere)).pairs.get(PAIR))).toBe(
      'fail(destinationrule-tls-conflict)/DISABLE',
    );
  });
});
