// Issue 14, areas 1–3: the per-endpoint TLS decision as istiod makes it, through `matrix -o json` and
// `check -o json`. Each case names the Istio source or unit test it is derived from (istio/istio master).
import { describe, expect, it } from 'vitest';
import { brief, checkJson, checkSarif, matrixJson } from '../helpers/cli-mesh.js';
import { app, destinationRule, namespace, peerAuthentication } from '../helpers/mesh.js';

const clients = `${namespace('client')}${app('client', 'sleep')}${namespace('legacy', 'none')}${app('legacy', 'old')}`;
const TLS_MODE = 'security.istio.io/tlsMode';

/** A bare running Pod (as `kubectl get pod -o yaml` shows it) behind Service `name`. */
function pod(ns: string, name: string, opts: { sidecar: boolean; labels?: Record<string, string> }): string {
  const labels = Object.entries({ app: name, ...(opts.labels ?? {}) })
    .map(([k, v]) => `    ${k}: "${v}"`)
    .join('\n');
  const proxy = opts.sidecar ? '\n    - name: istio-proxy\n      image: istio/proxyv2' : '';
  return `---
apiVersion: v1
kind: Pod
metadata:
  name: ${name}-0
  namespace: ${ns}
  labels:
${labels}
spec:
  serviceAccountName: ${name}
  containers:
    - name: ${name}
      image: example/${name}
      ports:
        - containerPort: 8080${proxy}
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    app: ${name}
  ports:
    - name: http
      port: 80
      targetPort: 8080
`;
}

describe('area 1: endpoint tlsMode comes from the pod label security.istio.io/tlsMode', () => {
  // kube/conversion.go PodTLSMode → model/service.go GetTLSModeFromEndpointLabels: the label, else
  // "disabled"; util_test.go TestEndpointMetadata: only tlsMode "istio" reaches the transport socket match.
  it('a sidecar pod labelled disabled receives plaintext from auto-mTLS clients (STRICT resets it)', async () => {
    const yaml =
      clients +
      namespace('srv') +
      app('srv', 'httpbin', { labels: { [TLS_MODE]: 'disabled' } }) +
      peerAuthentication('srv', 'default', 'STRICT');
    const { code, pairs } = await matrixJson(yaml);
    expect(code).toBe(1);
    const p = pairs.get('client/sleep -> srv/httpbin:80');
    expect(brief(p)).toBe('fail(tlsmode-label-mismatch)/DISABLE');
    expect(p?.server).toEqual({ proxy: 'sidecar', mode: 'STRICT' });
    expect(p?.symptom).toContain('connection reset');

    const check = await checkJson(yaml);
    const f = check.findings.find((x) => x.code === 'tlsmode-label-mismatch');
    expect(f?.resource).toEqual({ kind: 'Deployment', namespace: 'srv', name: 'httpbin' });
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('security.istio.io/tlsMode=disabled');
    expect((await checkSarif(yaml)).rules.map((r) => r.id)).toContain('tlsmode-label-mismatch');
    expect(check.code).toBe(1);
  });

  it('the same pod under PERMISSIVE still gets plaintext, which it accepts', async () => {
    const yaml = clients + namespace('srv') + app('srv', 'httpbin', { labels: { [TLS_MODE]: 'disabled' } });
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get('client/sleep -> srv/httpbin:80'))).toBe('ok/DISABLE');
  });

  it('a pod without a sidecar labelled istio receives Istio mTLS, and fails', async () => {
    const yaml =
      clients + namespace('plain', 'none') + app('plain', 'httpbin', { labels: { [TLS_MODE]: 'istio' } });
    const { pairs } = await matrixJson(yaml);
    const p = pairs.get('client/sleep -> plain/httpbin:80');
    expect(brief(p)).toBe('fail(tlsmode-label-mismatch)/ISTIO_MUTUAL');
    expect(p?.server).toEqual({ proxy: 'none', mode: 'NONE' });
    // A client without a sidecar sends plaintext whatever the label says.
    expect(brief(pairs.get('legacy/old -> plain/httpbin:80'))).toBe('ok/DISABLE');
    const { findings } = await checkJson(yaml);
    const f = findings.find((x) => x.code === 'tlsmode-label-mismatch');
    expect(f?.message).toContain('has none');
  });

  it('a running pod is read as it is: an istio-proxy container without the label is "disabled"; an injected template gets "istio" (injection-template.yaml)', async () => {
    const strict = peerAuthentication('srv', 'default', 'STRICT');
    const template = clients + namespace('srv') + app('srv', 'httpbin') + strict;
    expect(brief((await matrixJson(template)).pairs.get('client/sleep -> srv/httpbin:80'))).toBe(
      'ok/ISTIO_MUTUAL',
    );
    const unlabelled = clients + namespace('srv') + pod('srv', 'httpbin', { sidecar: true }) + strict;
    expect(brief((await matrixJson(unlabelled)).pairs.get('client/sleep -> srv/httpbin:80'))).toBe(
      'fail(tlsmode-label-mismatch)/DISABLE',
    );
    const labelled =
      clients +
      namespace('srv') +
      pod('srv', 'httpbin', { sidecar: true, labels: { [TLS_MODE]: 'istio' } }) +
      strict;
    expect(brief((await matrixJson(labelled)).pairs.get('client/sleep -> srv/httpbin:80'))).toBe(
      'ok/ISTIO_MUTUAL',
    );
  });

  it('headless: one sidecar pod labelled disabled turns the whole service plaintext (TestBestEffortInferServiceMTLSMode "headless service with instances")', async () => {
    const other = app('srv', 'db-b', { labels: { app: 'db', [TLS_MODE]: 'disabled' } }).split(
      '---\napiVersion: v1\nkind: Service',
    )[0];
    const yaml =
      clients +
      namespace('srv') +
      app('srv', 'db', { headless: true }) +
      other +
      peerAuthentication('srv', 'default', 'STRICT');
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get('client/sleep -> srv/db:80'))).toBe('fail(headless-service-plaintext)/DISABLE');
    const { findings } = await checkJson(yaml);
    expect(findings.find((f) => f.code === 'headless-service-plaintext')?.why?.[0]).toContain('srv/db-b');
  });
});

describe('area 2: a DestinationRule ISTIO_MUTUAL and each endpoint tlsMode', () => {
  const portEntryWithoutTls =
    '\n    portLevelSettings:\n      - port:\n          number: 80\n        connectionPool:\n          tcp:\n            maxConnections: 10';

  it('a port entry without tls: auto mTLS socket match, and the top-level mode only enables endpoints labelled istio (TestApplyUpstreamTLSSettings "auto detect with tls"; mtls_checker.go; endpoint_builder.go buildEnvoyLbEndpoint)', async () => {
    // A service with one sidecar pod and one without: mTLS to the first, plaintext to the second.
    const plain = app('srv', 'web-plain', {
      labels: { app: 'web', 'sidecar.istio.io/inject': 'false' },
    }).split('---\napiVersion: v1\nkind: Service')[0];
    const yaml =
      clients +
      namespace('srv') +
      app('srv', 'web') +
      plain +
      peerAuthentication('srv', 'default', 'STRICT') +
      destinationRule('srv', 'dr', 'web', 'ISTIO_MUTUAL', portEntryWithoutTls);
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get('client/sleep -> srv/web:80'))).toBe('ok/ISTIO_MUTUAL');
    // Without the port entry the cluster's own ISTIO_MUTUAL socket (no socket match: TestApplyUpstreamTLSSettings
    // "user specified with istio_mutual tls") reaches the sidecar-less pod too.
    const whole = yaml.replace(portEntryWithoutTls, '');
    expect(brief((await matrixJson(whole)).pairs.get('client/sleep -> srv/web:80'))).toBe(
      'fail(destinationrule-tls-conflict)/ISTIO_MUTUAL',
    );
  });

  it('a port entry without tls: the top-level ISTIO_MUTUAL overrides an endpoint policy DISABLE (checkMtlsEnabled reads the rule first), but not a missing sidecar', async () => {
    const overridden =
      clients +
      namespace('srv') +
      app('srv', 'httpbin') +
      peerAuthentication('srv', 'w', 'DISABLE', { selector: { app: 'httpbin' } }) +
      destinationRule('srv', 'dr', 'httpbin', 'ISTIO_MUTUAL', portEntryWithoutTls);
    const { pairs } = await matrixJson(overridden);
    expect(brief(pairs.get('client/sleep -> srv/httpbin:80'))).toBe(
      'fail(destinationrule-tls-conflict)/ISTIO_MUTUAL',
    );
    // Without any rule, auto mTLS honours the DISABLE and sends plaintext.
    const noRule =
      overridden.split('---\napiVersion: networking.istio.io/v1\nkind: DestinationRule')[0] ?? '';
    expect(brief((await matrixJson(noRule)).pairs.get('client/sleep -> srv/httpbin:80'))).toBe('ok/DISABLE');
    const sidecarLess =
      clients +
      app('legacy', 'httpbin') +
      destinationRule('legacy', 'dr', 'httpbin', 'ISTIO_MUTUAL', portEntryWithoutTls);
    expect(brief((await matrixJson(sidecarLess)).pairs.get('client/sleep -> legacy/httpbin:80'))).toBe(
      'ok/DISABLE',
    );
  });
});

describe('area 3: subjectAltNames replace the expected identities', () => {
  // cluster_tls.go buildUpstreamTLSSettings ("Use Service Accounts if Subject Alt names are not
  // specified"), TestBuildAutoMtlsSettings "Destination rule TLS sni and SAN override".
  const server =
    clients + namespace('srv') + app('srv', 'httpbin') + peerAuthentication('srv', 'default', 'STRICT');
  const withSans = (...sans: string[]) =>
    `\n      subjectAltNames:\n${sans.map((s) => `        - "${s}"`).join('\n')}`;

  it("a wrong service account, namespace or trust domain fails, on a STRICT or PERMISSIVE server; the server's own identity passes", async () => {
    const own =
      server +
      destinationRule('srv', 'dr', 'httpbin', 'ISTIO_MUTUAL').replace(
        'mode: ISTIO_MUTUAL',
        `mode: ISTIO_MUTUAL${withSans('spiffe://example.org/ns/x/sa/y', 'spiffe://cluster.local/ns/srv/sa/httpbin')}`,
      );
    expect(brief((await matrixJson(own)).pairs.get('client/sleep -> srv/httpbin:80'))).toBe(
      'ok/ISTIO_MUTUAL',
    );
    for (const san of [
      'spiffe://cluster.local/ns/srv/sa/default',
      'spiffe://cluster.local/ns/other/sa/httpbin',
      'spiffe://example.org/ns/srv/sa/httpbin',
    ]) {
      const yaml =
        server +
        destinationRule('srv', 'dr', 'httpbin', 'ISTIO_MUTUAL').replace(
          'mode: ISTIO_MUTUAL',
          `mode: ISTIO_MUTUAL${withSans(san)}`,
        );
      const { pairs } = await matrixJson(yaml);
      const p = pairs.get('client/sleep -> srv/httpbin:80');
      expect(brief(p), san).toBe('fail(destinationrule-san-mismatch)/ISTIO_MUTUAL');
      expect(p?.symptom).toContain('CERTIFICATE_VERIFY_FAILED');
      const permissive = yaml.replace('mode: STRICT', 'mode: PERMISSIVE');
      expect(brief((await matrixJson(permissive)).pairs.get('client/sleep -> srv/httpbin:80'))).toBe(
        'fail(destinationrule-san-mismatch)/ISTIO_MUTUAL',
      );
    }
  });

  it('check names the rule, the identity and which part differs', async () => {
    const yaml =
      server +
      destinationRule('srv', 'dr', 'httpbin', 'ISTIO_MUTUAL').replace(
        'mode: ISTIO_MUTUAL',
        `mode: ISTIO_MUTUAL${withSans('spiffe://cluster.local/ns/srv/sa/default')}`,
      );
    const { code, findings } = await checkJson(yaml);
    expect(code).toBe(1);
    const f = findings.find((x) => x.code === 'destinationrule-san-mismatch');
    expect(f?.resource).toEqual({ kind: 'DestinationRule', namespace: 'srv', name: 'dr' });
    expect(f?.message).toContain('spiffe://cluster.local/ns/srv/sa/httpbin');
    expect(f?.why?.join(' ')).toContain('service account default ≠ httpbin');
    const sarif = await checkSarif(yaml);
    expect(sarif.rules.map((r) => r.id)).toContain('destinationrule-san-mismatch');
    expect(
      sarif.results.find((r) => r.ruleId === 'destinationrule-san-mismatch')?.locations[0]?.physicalLocation,
    ).toBeDefined();
  });

  it('the trust domain comes from meshConfig', async () => {
    const mesh = `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |-\n    trustDomain: example.org\n`;
    const yaml =
      mesh +
      server +
      destinationRule('srv', 'dr', 'httpbin', 'ISTIO_MUTUAL').replace(
        'mode: ISTIO_MUTUAL',
        `mode: ISTIO_MUTUAL${withSans('spiffe://example.org/ns/srv/sa/httpbin')}`,
      );
    expect(brief((await matrixJson(yaml)).pairs.get('client/sleep -> srv/httpbin:80'))).toBe(
      'ok/ISTIO_MUTUAL',
    );
    const defaultDomain = yaml.replace('spiffe://example.org/', 'spiffe://cluster.local/');
    expect(brief((await matrixJson(defaultDomain)).pairs.get('client/sleep -> srv/httpbin:80'))).toBe(
      'fail(destinationrule-san-mismatch)/ISTIO_MUTUAL',
    );
  });
});
