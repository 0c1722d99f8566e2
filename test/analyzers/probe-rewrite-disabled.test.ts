import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { httpProbePorts } from '../../src/snapshot/probe-ports.js';
import { namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const findings = (yaml: string) =>
  diagnose(snapshotOf(yaml)).findings.filter((f) => f.code === 'probe-rewrite-disabled');

/** A sidecar Deployment with probe rewriting off, ports 8080 (http) and 8081 (mgmt), probed on `probePort`. */
function probed(probePort: string, annotations: Record<string, string> = {}): string {
  const extra = Object.entries(annotations)
    .map(([k, v]) => `\n        ${k}: "${v}"`)
    .join('');
  return `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: app
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
      annotations:
        sidecar.istio.io/rewriteAppHTTPProbers: "false"${extra}
    spec:
      containers:
        - name: api
          image: example/api
          ports:
            - containerPort: 8080
              name: http
            - containerPort: 8081
              name: mgmt
          livenessProbe:
            httpGet:
              path: /healthz
              port: ${probePort}
`;
}

describe('probe-rewrite-disabled judges the probe port', () => {
  it('no finding when the probe port is PERMISSIVE by a port-level exception (named port resolved)', () => {
    const yaml =
      namespace('app') +
      peerAuthentication('app', 'default', 'STRICT') +
      peerAuthentication('app', 'mgmt', undefined, {
        selector: { app: 'api' },
        ports: { 8081: 'PERMISSIVE' },
      }) +
      probed('mgmt');
    expect(findings(yaml)).toEqual([]);
    // The same probe on the STRICT port fails, and the finding names it and the policy.
    const [f] = findings(yaml.replace('port: mgmt', 'port: http'));
    expect(f?.message).toContain('STRICT port 8080');
    expect(f?.why.join('\n')).toContain(
      'Probe port 8080 is STRICT: namespace-wide PeerAuthentication app/default',
    );
  });

  it('no finding when the probe port is excluded from inbound capture', () => {
    const yaml =
      namespace('app') +
      peerAuthentication('app', 'default', 'STRICT') +
      probed('8081', { 'traffic.sidecar.istio.io/excludeInboundPorts': '8081' });
    expect(findings(yaml)).toEqual([]);
    expect(findings(yaml.replace('port: 8081', 'port: 8080'))).toHaveLength(1);
  });

  it('a PERMISSIVE namespace with one STRICT port: only a probe on that port fails', () => {
    const yaml =
      namespace('app') +
      peerAuthentication('app', 'default', 'PERMISSIVE') +
      peerAuthentication('app', 'api', undefined, { selector: { app: 'api' }, ports: { 8081: 'STRICT' } }) +
      probed('8080');
    expect(findings(yaml)).toEqual([]);
    const [f] = findings(yaml.replace('port: 8080\n', 'port: "8081"\n'));
    expect(f?.message).toContain('STRICT port 8081');
    expect(f?.why[1]).toContain('port-level PeerAuthentication app/api sets STRICT for port 8081');
    expect(f?.related).toEqual([{ kind: 'PeerAuthentication', namespace: 'app', name: 'api' }]);
  });
});

describe('httpProbePorts', () => {
  it('resolves ports as kubelet does', () => {
    const ports = [{ containerPort: 8080, name: 'http' }];
    expect(
      httpProbePorts([
        {
          ports,
          livenessProbe: { httpGet: { port: 'http' } },
          readinessProbe: { grpc: { port: 9090 } },
          startupProbe: { httpGet: { port: '7070' } },
        },
        // A name the container does not have: kubelet fails the probe before Istio matters.
        { livenessProbe: { httpGet: { port: 'http' } }, readinessProbe: { httpGet: {} } },
      ]),
    ).toEqual([7070, 8080, 9090]);
  });
});
