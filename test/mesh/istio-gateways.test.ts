// Issue 14, area 6: gateways are not sidecars, through `matrix -o json` and `check -o json`. Istio tells a
// gateway by the proxy's node type (`proxy router`: pilot-agent cmd.go, the gateway injection template
// chosen by inject.istio.io/templates, the legacy gateways charts), not by labels. Cases from istio/istio
// master: pilot/pkg/networking/core/cluster_tls_test.go TestBuildUpstreamClusterTLSContext ("tls mode
// MUTUAL, with CredentialName specified" with router: true; "tls mode MUTUAL, credentialName is set with
// proxy type Sidecar" → no TLS context), push_context.go doGetSidecarScope (Router → default scope,
// Sidecar resources ignored), and the istio.io task "Egress Gateways with TLS Origination" (mutual TLS).
import { describe, expect, it } from 'vitest';
import { brief, checkJson, matrixJson } from '../helpers/cli-mesh.js';
import { app, namespace, peerAuthentication } from '../helpers/mesh.js';

const GW = 'istio-system/istio-egressgateway';
const NGINX = 'mesh-external/my-nginx:443';

/** The gateway helm chart's Deployment (manifests/charts/gateway): injected with the gateway template. */
function helmGateway(name: string, istioLabel: string, annotations: Record<string, string> = {}): string {
  const extra = Object.entries({ 'inject.istio.io/templates': 'gateway', ...annotations })
    .map(([k, v]) => `        ${k}: "${v}"`)
    .join('\n');
  return `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ${istioLabel}
  template:
    metadata:
      annotations:
${extra}
      labels:
        sidecar.istio.io/inject: "true"
        app: ${name}
        istio: ${istioLabel}
    spec:
      serviceAccountName: ${name}
      containers:
        - name: istio-proxy
          image: auto
          ports:
            - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: istio-system
spec:
  selector:
    istio: ${istioLabel}
  ports:
    - name: http
      port: 80
      targetPort: 8080
`;
}

const nginx = `${namespace('mesh-external', 'none')}${app('mesh-external', 'my-nginx', { port: 443, targetPort: 443 }).replace('- name: http\n', '- name: https\n')}`;
const base = `${namespace('istio-system', 'none')}${helmGateway('istio-egressgateway', 'egressgateway')}${namespace('client')}${app('client', 'sleep')}${nginx}`;

function originate(extra = ''): string {
  return `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: originate-mtls-for-nginx
  namespace: istio-system
spec:
  host: my-nginx.mesh-external.svc.cluster.local${extra}
  trafficPolicy:
    tls:
      mode: MUTUAL
      credentialName: client-credential
      sni: my-nginx.mesh-external.svc.cluster.local
`;
}

describe('gateways (router proxies)', () => {
  it('honour a DestinationRule credentialName without workloadSelector, sidecars ignore it (TestBuildUpstreamClusterTLSContext, istio.io egress TLS origination task)', async () => {
    const yaml = base + originate();
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(`${GW} -> ${NGINX}`))).toBe('ok/MUTUAL');
    expect(pairs.get(`client/sleep -> ${NGINX}`)?.client.tls).toBe('DISABLE');

    const { findings } = await checkJson(yaml);
    const f = findings.filter((x) => x.code === 'destinationrule-credentialname-ignored');
    expect(f).toHaveLength(1);
    expect(f[0]?.message).toContain('client/sleep');
    expect(f[0]?.why?.join(' ')).toContain(GW);
  });

  it('credentialname-ignored is reported only where a sidecar uses the rule: exportTo "." in the gateway namespace reaches the gateway alone', async () => {
    const yaml = base + originate('\n  exportTo:\n    - "."');
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(`${GW} -> ${NGINX}`))).toBe('ok/MUTUAL');
    const { findings } = await checkJson(yaml);
    expect(findings.some((x) => x.code === 'destinationrule-credentialname-ignored')).toBe(false);
  });

  it('are told by the proxy type, not by labels: an explicit `proxy router` container is a gateway, an `istio: ingressgateway` label on an injected sidecar is not', async () => {
    const legacy = `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: legacy-egress
  namespace: istio-system
spec:
  selector:
    matchLabels:
      app: legacy-egress
  template:
    metadata:
      labels:
        app: legacy-egress
        istio: egressgateway
        sidecar.istio.io/inject: "false"
    spec:
      containers:
        - name: istio-proxy
          image: docker.io/istio/proxyv2:1.28.0
          args:
            - proxy
            - router
            - --domain
            - $(POD_NAMESPACE).svc.cluster.local
`;
    const labelled = app('client', 'looks-like-gw', { labels: { istio: 'ingressgateway' } }).split(
      '---\napiVersion: v1\nkind: Service',
    )[0];
    const { pairs } = await matrixJson(base + legacy + labelled + originate());
    expect(brief(pairs.get(`istio-system/legacy-egress -> ${NGINX}`))).toBe('ok/MUTUAL');
    expect(pairs.get(`client/looks-like-gw -> ${NGINX}`)?.client.tls).toBe('DISABLE');
  });

  it('as servers: PeerAuthentication does not apply, and the gateway template sets no tlsMode label, so auto mTLS sends plaintext (gateway-injection-template.yaml)', async () => {
    const yaml = base + peerAuthentication('istio-system', 'default', 'STRICT');
    const { pairs } = await matrixJson(yaml);
    const toGw = pairs.get(`client/sleep -> ${GW}:80`);
    expect(brief(toGw)).toBe('ok/DISABLE');
    expect(toGw?.server.mode).toBe('NONE');
  });

  it('ignore Sidecar resources but see only services exported to their namespace; a hidden one has no cluster (503 NC)', async () => {
    const rootSidecar = `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: istio-system
spec:
  egress:
    - hosts:
        - "./*"
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
`;
    const { pairs } = await matrixJson(base + originate() + rootSidecar);
    expect(brief(pairs.get(`${GW} -> ${NGINX}`))).toBe('ok/MUTUAL');
    expect(brief(pairs.get(`client/sleep -> ${NGINX}`))).toBe('fail(service-not-visible-blackhole)/DISABLE');

    const hidden = base.replace(
      'kind: Service\nmetadata:\n  name: my-nginx\n  namespace: mesh-external\n',
      'kind: Service\nmetadata:\n  name: my-nginx\n  namespace: mesh-external\n  annotations:\n    networking.istio.io/exportTo: "."\n',
    );
    const gw = (await matrixJson(hidden + originate())).pairs.get(`${GW} -> ${NGINX}`);
    expect(brief(gw)).toBe('fail(service-not-visible-blackhole)/DISABLE');
    expect(gw?.symptom).toContain('503');
  });
});
