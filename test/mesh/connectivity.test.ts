// The outcome table of research/istio-semantics.md §2.5, one case per row, through the public matrix.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import {
  app,
  destinationRule,
  matrixOf,
  meshConfig,
  namespace,
  peerAuthentication,
  snapshotOf,
} from '../helpers/mesh.js';

const base = `${namespace('client')}${app('client', 'sleep')}${namespace('legacy', 'none')}${app('legacy', 'old')}${namespace('srv')}`;
const pair = (m: Map<string, string>, from: string, to = 'srv/httpbin:80') => m.get(`${from} -> ${to}`);

describe('connectivity outcomes', () => {
  it('auto mTLS to a STRICT sidecar works; a plaintext client is reset', () => {
    const m = matrixOf(base + app('srv', 'httpbin') + peerAuthentication('srv', 'default', 'STRICT'));
    expect(pair(m, 'client/sleep')).toBe('ok');
    expect(pair(m, 'legacy/old')).toBe('fail(strict-plaintext-clients)');
  });

  it('auto mTLS honours a workload-level DISABLE (plaintext is sent and accepted)', () => {
    const m = matrixOf(
      base +
        app('srv', 'httpbin') +
        peerAuthentication('srv', 'w', 'DISABLE', { selector: { app: 'httpbin' } }),
    );
    expect(pair(m, 'client/sleep')).toBe('ok');
  });

  it('namespace DISABLE with a workload STRICT: auto mTLS sends plaintext and is reset', () => {
    const m = matrixOf(
      base +
        app('srv', 'httpbin') +
        peerAuthentication('srv', 'default', 'DISABLE') +
        peerAuthentication('srv', 'w', 'STRICT', { selector: { app: 'httpbin' } }),
    );
    expect(pair(m, 'client/sleep')).toBe('fail(strict-under-namespace-disable)');
  });

  it('auto mTLS to a server without a sidecar sends plaintext', () => {
    const m = matrixOf(base + app('legacy', 'httpbin'));
    expect(pair(m, 'client/sleep', 'legacy/httpbin:80')).toBe('ok');
  });

  it('headless service with one pod lacking a sidecar: plaintext to all, STRICT pods reset', () => {
    const yaml =
      base +
      app('srv', 'db', { headless: true }) +
      app('srv', 'db-legacy', { labels: { app: 'db', 'sidecar.istio.io/inject': 'false' } }).split(
        '---\napiVersion: v1\nkind: Service',
      )[0] +
      peerAuthentication('srv', 'default', 'STRICT');
    const m = matrixOf(yaml);
    expect(pair(m, 'client/sleep', 'srv/db:80')).toBe('fail(headless-service-plaintext)');
  });

  it('auto mTLS off: plaintext to a STRICT sidecar is reset; a DR with ISTIO_MUTUAL fixes it', () => {
    const off = meshConfig('enableAutoMtls: false');
    const yaml = base + off + app('srv', 'httpbin') + peerAuthentication('srv', 'default', 'STRICT');
    expect(pair(matrixOf(yaml), 'client/sleep')).toBe('fail(auto-mtls-disabled)');
    expect(
      pair(matrixOf(yaml + destinationRule('srv', 'dr', 'httpbin', 'ISTIO_MUTUAL')), 'client/sleep'),
    ).toBe('ok');
  });

  it('DR DISABLE to STRICT is reset; DR ISTIO_MUTUAL to a proxy-less server fails', () => {
    const strict =
      base +
      app('srv', 'httpbin') +
      peerAuthentication('srv', 'default', 'STRICT') +
      destinationRule('srv', 'dr', 'httpbin', 'DISABLE');
    expect(pair(matrixOf(strict), 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
    const noProxy =
      base + app('legacy', 'httpbin') + destinationRule('legacy', 'dr', 'httpbin', 'ISTIO_MUTUAL');
    expect(pair(matrixOf(noProxy), 'client/sleep', 'legacy/httpbin:80')).toBe(
      'fail(destinationrule-tls-conflict)',
    );
  });

  it('DR SIMPLE towards an in-mesh STRICT sidecar fails (no Istio client certificate)', () => {
    const yaml =
      base +
      app('srv', 'httpbin') +
      peerAuthentication('srv', 'default', 'STRICT') +
      destinationRule('srv', 'dr', 'httpbin', 'SIMPLE');
    expect(pair(matrixOf(yaml), 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
  });

  it('PERMISSIVE accepts both plaintext and mTLS', () => {
    const m = matrixOf(base + app('srv', 'httpbin') + peerAuthentication('srv', 'default', 'PERMISSIVE'));
    expect(pair(m, 'client/sleep')).toBe('ok');
    expect(pair(m, 'legacy/old')).toBe('ok');
  });

  it('a port excluded from inbound capture breaks auto-mTLS clients', () => {
    const yaml =
      base +
      app('srv', 'httpbin', { annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '8080' } });
    expect(pair(matrixOf(yaml), 'client/sleep')).toBe('fail(inbound-port-excluded)');
  });

  it('a client port excluded from outbound capture sends plaintext to a STRICT server', () => {
    const yaml =
      namespace('client') +
      app('client', 'sleep', { annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '80' } }) +
      namespace('srv') +
      app('srv', 'httpbin') +
      peerAuthentication('srv', 'default', 'STRICT');
    expect(pair(matrixOf(yaml), 'client/sleep')).toBe('fail(outbound-port-excluded)');
  });

  it('ambient clients and servers: HBONE between mesh workloads, STRICT still rejects plaintext', () => {
    const yaml =
      namespace('amb', 'ambient') +
      app('amb', 'sleep') +
      base +
      app('srv', 'httpbin') +
      peerAuthentication('srv', 'default', 'STRICT') +
      namespace('amb2', 'ambient') +
      app('amb2', 'api') +
      peerAuthentication('amb2', 'default', 'STRICT');
    const m = matrixOf(yaml);
    // ztunnel sends HBONE only to sidecars that advertise it (networking.istio.io/tunnel=http).
    expect(pair(m, 'amb/sleep')).toBe('fail(strict-plaintext-clients)');
    expect(pair(m, 'client/sleep', 'amb2/api:80')).toBe('ok');
    expect(pair(m, 'legacy/old', 'amb2/api:80')).toBe('fail(strict-plaintext-clients)');
    const tunnel = yaml.replace(
      app('srv', 'httpbin'),
      app('srv', 'httpbin', { labels: { 'networking.istio.io/tunnel': 'http' } }),
    );
    expect(pair(matrixOf(tunnel), 'amb/sleep')).toBe('ok');
  });

  it('a sidecar reaches an ambient pod over HBONE even when a DestinationRule says DISABLE', () => {
    const yaml =
      namespace('client') +
      app('client', 'sleep') +
      namespace('amb', 'ambient') +
      app('amb', 'api') +
      peerAuthentication('amb', 'default', 'STRICT') +
      destinationRule('istio-system', 'mesh', '*.local', 'DISABLE');
    expect(pair(matrixOf(yaml), 'client/sleep', 'amb/api:80')).toBe('ok');
  });

  it('headless service, all pods injected, one DISABLE: mTLS goes to every pod, the DISABLE one fails', () => {
    const yaml =
      base +
      app('srv', 'db', { headless: true }) +
      app('srv', 'db-old', { labels: { app: 'db', version: 'old' } }).split(
        '---\napiVersion: v1\nkind: Service',
      )[0] +
      peerAuthentication('srv', 'old', 'DISABLE', { selector: { version: 'old' } });
    expect(pair(matrixOf(yaml), 'client/sleep', 'srv/db:80')).toBe('fail(headless-service-plaintext)');
  });

  it('UDP and SCTP ports are not mesh pairs: the sidecars capture TCP only, so STRICT does not apply to them', () => {
    const statsd = `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: statsd, namespace: srv }
spec:
  selector: { matchLabels: { app: statsd } }
  template:
    metadata: { labels: { app: statsd } }
    spec: { containers: [{ name: s, ports: [{ containerPort: 8125, protocol: UDP }, { containerPort: 9102 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: statsd, namespace: srv }
spec:
  selector: { app: statsd }
  ports:
    - { name: udp-statsd, port: 8125, protocol: UDP }
    - { name: sctp, port: 9000, protocol: SCTP }
    - { name: http-metrics, port: 9102 }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: syslog, namespace: srv }
spec:
  hosts: [syslog.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{ number: 514, name: udp-syslog, protocol: UDP }]
`;
    const yaml = base + statsd + peerAuthentication('srv', 'default', 'STRICT');
    const m = matrixOf(yaml);
    expect([...m.keys()].filter((k) => /-> srv\/(statsd|syslog)/.test(k))).toEqual([
      'client/sleep -> srv/statsd:9102',
      'legacy/old -> srv/statsd:9102',
      'srv/statsd -> srv/statsd:9102',
    ]);
    // The TCP port is judged as before: the plaintext client is reset there, and only there.
    expect(pair(m, 'legacy/old', 'srv/statsd:9102')).toBe('fail(strict-plaintext-clients)');
    const findings = diagnose(snapshotOf(yaml), { now: new Date('2026-11-30T00:00:00Z') }).findings;
    expect(findings.filter((f) => f.message.includes(':8125') || f.message.includes(':514'))).toEqual([]);
  });
});

describe('DestinationRule lookup', () => {
  const server = base + app('srv', 'httpbin') + peerAuthentication('srv', 'default', 'STRICT');

  it("the client's namespace is searched first, then the service's, then the root", () => {
    const yaml =
      server +
      destinationRule('srv', 'owner', 'httpbin', 'ISTIO_MUTUAL') +
      destinationRule('client', 'local', 'httpbin.srv.svc.cluster.local', 'DISABLE');
    const m = matrixOf(yaml);
    expect(pair(m, 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
    const root = server + destinationRule('istio-system', 'mesh', '*.local', 'DISABLE');
    expect(pair(matrixOf(root), 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
    const both = root + destinationRule('srv', 'owner', 'httpbin', 'ISTIO_MUTUAL');
    expect(pair(matrixOf(both), 'client/sleep')).toBe('ok');
  });

  it('a short host gets the rule namespace; a dotted short name is taken literally', () => {
    const literal = server + destinationRule('client', 'dotted', 'httpbin.srv', 'DISABLE');
    expect(pair(matrixOf(literal), 'client/sleep')).toBe('ok');
    const short = server + destinationRule('client', 'short', 'httpbin', 'DISABLE');
    // `httpbin` in namespace client means httpbin.client.svc.cluster.local: not our service.
    expect(pair(matrixOf(short), 'client/sleep')).toBe('ok');
  });

  it('the most specific host wins inside a namespace', () => {
    const yaml =
      server +
      destinationRule('srv', 'wide', '*.svc.cluster.local', 'DISABLE') +
      destinationRule('srv', 'exact', 'httpbin.srv.svc.cluster.local', 'ISTIO_MUTUAL');
    expect(pair(matrixOf(yaml), 'client/sleep')).toBe('ok');
  });

  it('exportTo "." hides a rule from other namespaces', () => {
    const hidden = server + destinationRule('srv', 'private', 'httpbin', 'DISABLE', '\n  exportTo: ["."]');
    expect(pair(matrixOf(hidden), 'client/sleep')).toBe('ok');
    const exported =
      server + destinationRule('srv', 'shared', 'httpbin', 'DISABLE', '\n  exportTo: ["client"]');
    expect(pair(matrixOf(exported), 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
  });

  it('a port entry without tls leaves auto mTLS in charge, but endpoints are marked from the top-level tls', () => {
    const extra =
      '\n    portLevelSettings:\n      - port:\n          number: 80\n        connectionPool:\n          tcp:\n            maxConnections: 10';
    // Top-level DISABLE: every endpoint is marked plaintext (mtls_checker.go), so a STRICT server resets.
    const disable = server + destinationRule('srv', 'dr', 'httpbin', 'DISABLE', extra);
    expect(pair(matrixOf(disable), 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
    // Top-level ISTIO_MUTUAL: checkMtlsEnabled says yes for every endpoint, but buildEnvoyLbEndpoint only
    // keeps (never raises) each endpoint's own tlsMode, so an endpoint without a sidecar ("disabled")
    // still gets plaintext...
    const mutual =
      base + app('legacy', 'httpbin') + destinationRule('legacy', 'dr', 'httpbin', 'ISTIO_MUTUAL', extra);
    expect(pair(matrixOf(mutual), 'client/sleep', 'legacy/httpbin:80')).toBe('ok');
    // ...while a sidecar endpoint gets mTLS even though its own policy is DISABLE (the rule's mode wins
    // over the PeerAuthentication in checkMtlsEnabled).
    const overridden =
      base +
      app('srv', 'httpbin') +
      peerAuthentication('srv', 'w', 'DISABLE', { selector: { app: 'httpbin' } }) +
      destinationRule('srv', 'dr', 'httpbin', 'ISTIO_MUTUAL', extra);
    expect(pair(matrixOf(overridden), 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
    // No top-level tls at all: plain auto mTLS.
    const none = server + destinationRule('srv', 'dr', 'httpbin', undefined, `\n  trafficPolicy:${extra}`);
    expect(pair(matrixOf(none), 'client/sleep')).toBe('ok');
  });

  it('several rules for one host: the newest unmerged one applies; exportTo [] and ["*"] do not merge', () => {
    const older = destinationRule('srv', 'older', 'httpbin', 'ISTIO_MUTUAL').replace(
      '  namespace: srv',
      '  namespace: srv\n  creationTimestamp: "2026-01-01T00:00:00Z"',
    );
    const newer = destinationRule('srv', 'newer', 'httpbin', 'DISABLE', '\n  exportTo: ["*"]').replace(
      '  namespace: srv',
      '  namespace: srv\n  creationTimestamp: "2026-02-01T00:00:00Z"',
    );
    expect(pair(matrixOf(server + older + newer), 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
  });

  it('a rule without creationTimestamp merged beside an existing one is the newest: the existing traffic policy stays', () => {
    const existing = destinationRule('srv', 'pinned', 'httpbin', 'ISTIO_MUTUAL').replace(
      'namespace: srv',
      'namespace: srv\n  creationTimestamp: "2026-01-01T00:00:00Z"',
    );
    const added = destinationRule('srv', 'a-added', 'httpbin', 'DISABLE');
    expect(pair(matrixOf(server + existing + added), 'client/sleep')).toBe('ok');
    expect(
      pair(
        matrixOf(
          server + existing.replace('ISTIO_MUTUAL', 'DISABLE') + added.replace('DISABLE', 'ISTIO_MUTUAL'),
        ),
        'client/sleep',
      ),
    ).toBe('fail(destinationrule-tls-conflict)');
  });

  it('the most specific host is chosen before exportTo: a hidden exact rule skips to the root, not to a wildcard', () => {
    const yaml =
      server +
      destinationRule('srv', 'exact', 'httpbin', 'ISTIO_MUTUAL', '\n  exportTo: ["elsewhere"]') +
      destinationRule('srv', 'wide', '*.srv.svc.cluster.local', 'DISABLE');
    // Istio finds httpbin's exact rule, which is not exported to `client`, and goes on to the root
    // namespace (none): auto mTLS, ok. Taking the wildcard would send plaintext and fail.
    expect(pair(matrixOf(yaml), 'client/sleep')).toBe('ok');
  });

  it("a selector rule for other workloads hides the service namespace's rule from the rest of the namespace", () => {
    const selector = '\n  workloadSelector:\n    matchLabels:\n      app: someone-else';
    const yaml =
      server +
      destinationRule('client', 'for-others', 'httpbin.srv.svc.cluster.local', 'ISTIO_MUTUAL', selector) +
      destinationRule('srv', 'owner', 'httpbin', 'DISABLE');
    // client/sleep gets no rule at all for the host (not the owner's DISABLE): auto mTLS, ok.
    expect(pair(matrixOf(yaml), 'client/sleep')).toBe('ok');
  });

  it('workloadSelector rules apply only to the selected clients in their namespace', () => {
    const selector = '\n  workloadSelector:\n    matchLabels:\n      app: sleep';
    const yaml =
      server +
      app('client', 'other') +
      destinationRule('client', 'for-sleep', 'httpbin.srv.svc.cluster.local', 'DISABLE', selector);
    const m = matrixOf(yaml);
    expect(pair(m, 'client/sleep')).toBe('fail(destinationrule-tls-conflict)');
    expect(pair(m, 'client/other')).toBe('ok');
  });

  it('credentialName without workloadSelector is ignored by sidecars: plaintext', () => {
    const extra = '\n      credentialName: client-cert';
    const yaml =
      server.replace("peerAuthentication('srv', 'default', 'STRICT')", '') +
      destinationRule('srv', 'dr', 'httpbin', 'SIMPLE').replace('mode: SIMPLE', `mode: SIMPLE${extra}`);
    expect(pair(matrixOf(yaml), 'client/sleep')).toBe('fail(destinationrule-credentialname-ignored)');
  });
});
