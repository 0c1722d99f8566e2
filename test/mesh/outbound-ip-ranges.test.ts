// traffic.sidecar.istio.io/excludeOutboundIPRanges and includeOutboundIPRanges: a call to a Service
// whose clusterIP the pod's istio-iptables does not redirect leaves as plaintext (like excludeOutboundPorts).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { parseRanges } from '../../src/mesh/outbound-capture.js';
import { app, matrixOf, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

/** The STRICT server app/web (Service port 80 → 8080) at `clusterIP`, and clients with `annotations`. */
function mesh(clusterIP: string | undefined, clients: Record<string, Record<string, string>>): string {
  const web = app('app', 'web');
  const server =
    clusterIP === undefined
      ? web
      : web.replace(
          'kind: Service\nmetadata:\n  name: web\n  namespace: app\nspec:\n',
          `kind: Service\nmetadata:\n  name: web\n  namespace: app\nspec:\n  clusterIP: "${clusterIP}"\n`,
        );
  return (
    namespace('app') +
    peerAuthentication('app', 'default', 'STRICT') +
    server +
    Object.entries(clients)
      .map(([name, annotations]) => app('app', name, { annotations }))
      .join('')
  );
}

const EXCLUDE = 'traffic.sidecar.istio.io/excludeOutboundIPRanges';
const INCLUDE = 'traffic.sidecar.istio.io/includeOutboundIPRanges';
const to = (m: Map<string, string>, from: string) => m.get(`app/${from} -> app/web:80`);

describe('outbound IP ranges', () => {
  it('an excluded range covering the clusterIP, or include ranges missing it, bypass the sidecar', () => {
    const m = matrixOf(
      mesh('10.96.12.34', {
        excluded: { [EXCLUDE]: '10.96.0.0/12' },
        elsewhere: { [EXCLUDE]: '192.168.0.0/16,10.0.0.0/24' },
        included: { [INCLUDE]: '10.0.0.0/24' },
        'included-too': { [INCLUDE]: '10.96.0.0/16' },
        all: { [INCLUDE]: '*' },
        'by-port': { [INCLUDE]: '10.0.0.0/24', 'traffic.sidecar.istio.io/includeOutboundPorts': '80' },
        // includeOutboundPorts does not beat an exclusion (istio-iptables RETURNs excluded ranges first).
        'excluded-port': {
          [EXCLUDE]: '10.96.12.34/32',
          'traffic.sidecar.istio.io/includeOutboundPorts': '80',
        },
      }),
    );
    expect(to(m, 'excluded')).toBe('fail(outbound-port-excluded)');
    expect(to(m, 'elsewhere')).toBe('ok');
    expect(to(m, 'included')).toBe('fail(outbound-port-excluded)');
    expect(to(m, 'included-too')).toBe('ok');
    expect(to(m, 'all')).toBe('ok');
    expect(to(m, 'by-port')).toBe('ok');
    expect(to(m, 'excluded-port')).toBe('fail(outbound-port-excluded)');
  });

  it('IPv6 clusterIPs are judged against IPv6 ranges only', () => {
    const m = matrixOf(
      mesh('fd00:10:96::1234', {
        v6: { [EXCLUDE]: 'fd00:10:96::/112' },
        v4: { [EXCLUDE]: '0.0.0.0/0' },
      }),
    );
    expect(to(m, 'v6')).toBe('fail(outbound-port-excluded)');
    expect(to(m, 'v4')).toBe('ok');
  });

  it('no clusterIP, a headless service, or a malformed value: not judged, no crash', () => {
    const clients = {
      excluded: { [EXCLUDE]: '0.0.0.0/0' },
      // The injector refuses a pod with an entry that is not a CIDR (validate.go validateCIDRList).
      malformed: { [EXCLUDE]: '10.96.0.0/12,not-a-cidr' },
      'no-prefix': { [INCLUDE]: '10.0.0.1' },
    };
    expect(to(matrixOf(mesh(undefined, clients)), 'excluded')).toBe('ok');
    expect(to(matrixOf(mesh('None', clients)), 'excluded')).toBe('ok');
    const m = matrixOf(mesh('10.96.12.34', clients));
    expect(to(m, 'excluded')).toBe('fail(outbound-port-excluded)');
    expect(to(m, 'malformed')).toBe('ok');
    expect(to(m, 'no-prefix')).toBe('ok');
  });

  it('the finding names the annotation and the address', () => {
    const yaml = mesh('10.96.12.34', { excluded: { [EXCLUDE]: '10.96.0.0/12' } });
    const [f] = diagnose(snapshotOf(yaml)).findings.filter((x) => x.code === 'outbound-port-excluded');
    expect(f?.resource.name).toBe('excluded');
    expect(f?.why[0]).toContain(
      `${EXCLUDE}=10.96.0.0/12 on app/excluded: 10.96.12.34, the clusterIP of app/web`,
    );
    expect(f?.fix).toContain('excludeOutboundIPRanges');
  });
});

describe('parseRanges', () => {
  it('reads CIDR lists as netip.ParsePrefix does, per family', () => {
    const r = parseRanges('10.0.0.0/8,fd00::/8');
    expect(r?.matches('10.1.2.3')).toBe(true);
    expect(r?.matches('11.1.2.3')).toBe(false);
    expect(r?.matches('fd12::1')).toBe(true);
    expect(r?.matches('fe80::1')).toBe(false);
    expect(parseRanges('')?.matches('10.1.2.3')).toBe(false);
    for (const bad of [
      '10.0.0.0',
      '10.0.0.0/33',
      'fd00::/129',
      '10.0.0.0/8, 11.0.0.0/8',
      'x/8',
      '10.0.0.0/8,',
    ])
      expect(parseRanges(bad), bad).toBeUndefined();
  });
});
