// Issue 14, area 9: ambient mode as istiod and ztunnel implement it, through `matrix -o json` and
// `check -o json`. Each case names the Istio source or unit test it is derived from (istio/istio master,
// istio/ztunnel master).
import { describe, expect, it } from 'vitest';
import { toKubeYaml } from '../../src/remediation/kube-yaml.js';
import { applyMergePatch } from '../../src/remediation/merge-patch.js';
import { brief, checkJson, checkSarif, matrixJson } from '../helpers/cli-mesh.js';
import { app, destinationRule, namespace, peerAuthentication } from '../helpers/mesh.js';

// A client of each kind: sidecar, no proxy, ambient.
const clients =
  namespace('client') +
  app('client', 'sleep') +
  namespace('legacy', 'none') +
  app('legacy', 'old') +
  namespace('amb', 'ambient') +
  app('amb', 'curl');
const TO = 'srv/api:80';
const from = (client: string) => `${client} -> ${TO}`;
const doc = (object: unknown) => `---\n${toKubeYaml(object)}`;
// A second Service of srv/api, on another container port: whether a fix for one port opens the other.
const ADMIN = doc({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'admin', namespace: 'srv' },
  spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 90, targetPort: 9090 }] },
});
// The clients, and srv/api in an ambient namespace: the server most cases judge.
const AMBIENT_API = clients + namespace('srv', 'ambient') + app('srv', 'api');
// srv/api (ambient) with its two Services under a STRICT mesh policy: where istiod's conversion bugs live.
const STRICT_MESH_AMBIENT_API = AMBIENT_API + ADMIN + peerAuthentication('istio-system', 'default', 'STRICT');
/** The object a `kubectl create -f - <<'EOF'` plan creates, as YAML. */
const heredocOf = (kubectl = '') => /<<'(EOF\d*)'\n([\s\S]*)\n\1$/.exec(kubectl)?.[2];

describe('area 9: ztunnel enforces PeerAuthentication as istiod converts it', () => {
  // ambient/authorization.go convertedSelectorPeerAuthentications: a namespace policy sets "effective
  // STRICT" only when its mode is STRICT (`if !isMtlsModeUnset(ns) { strict = isMtlsModeStrict(ns) }`), and
  // a PERMISSIVE or DISABLE workload policy clears it: DISABLE is handled exactly as PERMISSIVE.
  it('DISABLE on an ambient namespace acts as PERMISSIVE: plaintext and HBONE both get in', async () => {
    const yaml = AMBIENT_API + peerAuthentication('srv', 'default', 'DISABLE');
    const { code, pairs } = await matrixJson(yaml);
    expect(code).toBe(0);
    expect(brief(pairs.get(from('legacy/old')))).toBe('ok/DISABLE');
    expect(pairs.get(from('legacy/old'))?.server).toEqual({ proxy: 'ambient', mode: 'PERMISSIVE' });
    // Sidecars and ztunnel keep sending HBONE whatever the policy says.
    expect(brief(pairs.get(from('client/sleep')))).toBe('ok/ISTIO_MUTUAL');
    expect(brief(pairs.get(from('amb/curl')))).toBe('ok/ISTIO_MUTUAL');

    const check = await checkJson(yaml);
    const f = check.findings.find((x) => x.code === 'ambient-peerauthentication-disable');
    expect(f?.severity).toBe('warning');
    expect(f?.resource).toEqual({ kind: 'PeerAuthentication', namespace: 'srv', name: 'default' });
    expect(f?.message).toContain('exactly as PERMISSIVE');
    expect(check.code).toBe(0);
    const sarif = await checkSarif(yaml);
    expect(sarif.rules.map((r) => r.id)).toContain('ambient-peerauthentication-disable');
  });

  // TestRBACConvert: testdata/peer-authn-strict-and-disable-port-mtls(-in).yaml: selector STRICT with a
  // DISABLE port converts to DENY (no principal AND port != 9090): that port accepts plaintext.
  it('a workload STRICT with a DISABLE port: that port accepts plaintext (as PERMISSIVE), other ports reject it', async () => {
    const yaml =
      AMBIENT_API +
      peerAuthentication('srv', 'strict-and-disable-mtls', 'STRICT', {
        selector: { app: 'api' },
        ports: { 8080: 'DISABLE' },
      });
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(from('legacy/old')))).toBe('ok/DISABLE');
    expect(pairs.get(from('legacy/old'))?.server.mode).toBe('PERMISSIVE');
    const check = await checkJson(yaml);
    const f = check.findings.find((x) => x.code === 'ambient-peerauthentication-disable');
    expect(f?.message).toContain('on port 8080');
    // The exception names another port: 8080 keeps the workload's STRICT.
    const other = (await matrixJson(yaml.replace('8080:', '9090:'))).pairs;
    expect(brief(other.get(from('legacy/old')))).toBe('fail(strict-plaintext-clients)/DISABLE');
  });

  // The same policy under a STRICT mesh policy and no namespace policy. convertPeerAuthentication skips a
  // STRICT port when `isStrict(workload) || (isUnset(workload) && nsStrict) || ((ns nil/unset) && rootStrict)`
  // (Go precedence: the last clause is not gated by an UNSET workload mode), so nothing is converted, and
  // convertedSelectorPeerAuthentications drops the static STRICT policy for a DISABLE workload
  // (ambientindex_test.go TestAmbientIndex_Policy: "Static policy should be removed since it isn't STRICT").
  it('Istio bug: a DISABLE workload STRICT port under a STRICT mesh policy accepts plaintext', async () => {
    const yaml =
      AMBIENT_API +
      peerAuthentication('istio-system', 'default', 'STRICT') +
      peerAuthentication('srv', 'disable-strict-mtls', 'DISABLE', {
        selector: { app: 'api' },
        ports: { 8080: 'STRICT' },
      });
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(from('legacy/old')))).toBe('ok/DISABLE');
    expect(pairs.get(from('legacy/old'))?.server.mode).toBe('PERMISSIVE');
    // Without the mesh policy the STRICT port is converted (TestRBACConvert:
    // testdata/peer-authn-disable-port-mtls-strict.yaml, DENY no principal AND port == 9090).
    const noMesh = yaml.replace(peerAuthentication('istio-system', 'default', 'STRICT'), '');
    const alone = (await matrixJson(noMesh)).pairs;
    expect(brief(alone.get(from('legacy/old')))).toBe('fail(strict-plaintext-clients)/DISABLE');
    expect(brief(alone.get(from('client/sleep')))).toBe('ok/ISTIO_MUTUAL');

    const check = await checkJson(yaml);
    const f = check.findings.find((x) => x.code === 'ambient-port-level-mtls');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('ztunnel accepts plaintext there');
    expect(f?.why?.join(' ')).toContain('Istio bug');
    expect(f?.resource).toEqual({
      kind: 'PeerAuthentication',
      namespace: 'srv',
      name: 'disable-strict-mtls',
    });
  });

  // TestRBACConvert: testdata/peer-authn-strict-root-unset-workload-port-mtls-strict-and-permissive(-in).yaml:
  // mesh STRICT, a workload policy without a mode and a PERMISSIVE port converts to DENY (port != 9090
  // AND no principal). Add a namespace policy without a mode (as in
  // peer-authn-permissive-root-unset-namespace-mixed-workload-ports-in.yaml) and convertPeerAuthentication
  // skips the PERMISSIVE port ("ns != nil && !isStrict(ns)"), converting nothing, while the workload still
  // drops the static STRICT policy: every port accepts plaintext.
  it('Istio bug: a PERMISSIVE port exception under a mode-less namespace policy opens every port', async () => {
    const base =
      AMBIENT_API +
      peerAuthentication('istio-system', 'default', 'STRICT') +
      peerAuthentication('srv', 'workload', undefined, {
        selector: { app: 'api' },
        ports: { 9090: 'PERMISSIVE' },
      });
    const converted = (await matrixJson(base)).pairs;
    expect(brief(converted.get(from('legacy/old')))).toBe('fail(strict-plaintext-clients)/DISABLE');

    const yaml = base + peerAuthentication('srv', 'default', undefined);
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(from('legacy/old')))).toBe('ok/DISABLE');
    expect(pairs.get(from('legacy/old'))?.server).toEqual({ proxy: 'ambient', mode: 'PERMISSIVE' });
    const f = (await checkJson(yaml)).findings.find((x) => x.code === 'ambient-port-level-mtls');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('port 8080');
    expect(f?.why?.join(' ')).toContain('an UNSET one included');
  });

  // convertedSelectorPeerAuthentications, UNSET workload mode under an inherited STRICT: only a PERMISSIVE
  // port entry makes the workload reference its converted policy (TestAmbientIndex_Policy: "Add a
  // permissive port-level override"); a DISABLE entry leaves the static STRICT policy attached.
  it('a DISABLE port exception under namespace STRICT is not applied by ztunnel: plaintext is reset', async () => {
    const yaml =
      AMBIENT_API +
      peerAuthentication('srv', 'default', 'STRICT') +
      peerAuthentication('srv', 'api-port', undefined, {
        selector: { app: 'api' },
        ports: { 8080: 'DISABLE' },
      });
    const { code, pairs } = await matrixJson(yaml);
    expect(code).toBe(1);
    const p = pairs.get(from('legacy/old'));
    expect(brief(p)).toBe('fail(ambient-port-level-mtls)/DISABLE');
    expect(p?.server).toEqual({ proxy: 'ambient', mode: 'STRICT' });
    expect(p?.symptom).toContain('connection reset');

    const check = await checkJson(yaml);
    const f = check.findings.find((x) => x.code === 'ambient-port-level-mtls');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('legacy/old');
    expect(f?.fix).toContain('PERMISSIVE');
    expect(check.code).toBe(1);
    expect((await checkSarif(yaml)).rules.map((r) => r.id)).toContain('ambient-port-level-mtls');

    // The same exception written PERMISSIVE is converted (DENY no principal AND port != 8080).
    const permissive = yaml.replace('mode: DISABLE', 'mode: PERMISSIVE');
    expect(brief((await matrixJson(permissive)).pairs.get(from('legacy/old')))).toBe('ok/DISABLE');
  });
  // The plan offered for the DISABLE exception above must hold under every parent policy. Written as
  // port PERMISSIVE alone it would not: under a STRICT mesh policy and a namespace policy without a mode,
  // convertPeerAuthentication skips the PERMISSIVE port (authorization.go: mode UNSET and
  // `nsCfg != nil && !isMtlsModeStrict(nsCfg)`) while convertedSelectorPeerAuthentications drops the
  // static STRICT policy (foundPermissive), so every port accepts plaintext. With the workload's own
  // STRICT, convertPeerAuthentication emits DENY (no principal AND port != 8080) whatever the parents are
  // (TestRBACConvert: testdata/peer-authn-strict-and-disable-port-mtls.yaml). The test applies the plan's
  // merge patch to the policy and runs the matrix on the result.
  it('the fix for an ignored DISABLE exception sets the policy STRICT too: only the excepted port opens', async () => {
    const policy = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'api-port', namespace: 'srv' },
      spec: { selector: { matchLabels: { app: 'api' } }, portLevelMtls: { 8080: { mode: 'DISABLE' } } },
    };
    const parents = STRICT_MESH_AMBIENT_API + peerAuthentication('srv', 'default', undefined);
    const before = parents + doc(policy);
    expect(brief((await matrixJson(before)).pairs.get(from('legacy/old')))).toBe(
      'fail(ambient-port-level-mtls)/DISABLE',
    );
    const check = await checkJson(before);
    const f = check.findings.find((x) => x.code === 'ambient-port-level-mtls');
    expect(f?.why?.join(' ')).toContain('DISABLE only');
    expect(f?.why?.join(' ')).not.toContain('keeps the static STRICT policy and the port-level');
    const plans = (f as unknown as { remediations: { id: string; kubectl: string }[] }).remediations;
    expect(plans.map((r) => r.id)).toEqual(['port-exception:PeerAuthentication/srv/api-port:8080:strict']);
    const patch = JSON.parse(/ -p '(.*)'$/.exec(plans[0]?.kubectl ?? '')?.[1] ?? '{}');
    expect(patch).toEqual({
      spec: { mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } },
    });

    const after = parents + doc(applyMergePatch(structuredClone(policy), patch));
    const fixed = (await matrixJson(after)).pairs;
    expect(brief(fixed.get(from('legacy/old')))).toBe('ok/DISABLE');
    expect(brief(fixed.get('legacy/old -> srv/admin:90'))).toBe('fail(strict-plaintext-clients)/DISABLE');
    expect(brief(fixed.get('client/sleep -> srv/admin:90'))).toBe('ok/ISTIO_MUTUAL');
    expect((await checkJson(after)).findings.map((x) => x.code)).not.toContain('ambient-port-level-mtls');

    // The port entry alone (the old plan) opens the other port too.
    const portOnly = { spec: { portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } } };
    const open = parents + doc(applyMergePatch(structuredClone(policy), portOnly));
    expect(brief((await matrixJson(open)).pairs.get('legacy/old -> srv/admin:90'))).toBe('ok/DISABLE');
  });
});

describe('area 9: the port exception offered for plaintext clients of an ambient server', () => {
  // Same conversion bug as above, reached from strict-plaintext-clients: a new workload policy with only
  // a PERMISSIVE port under a namespace policy without mode (and a STRICT mesh) would convert to nothing.
  it('sets the new workload policy STRICT too, so only the excepted port opens', async () => {
    const mesh =
      STRICT_MESH_AMBIENT_API +
      // Only srv's ports are STRICT, so the finding's port exception is for srv/api.
      peerAuthentication('client', 'default', 'PERMISSIVE') +
      peerAuthentication('amb', 'default', 'PERMISSIVE') +
      peerAuthentication('srv', 'default', undefined);
    expect(brief((await matrixJson(mesh)).pairs.get(from('legacy/old')))).toBe(
      'fail(strict-plaintext-clients)/DISABLE',
    );
    const f = (await checkJson(mesh)).findings.find((x) => x.code === 'strict-plaintext-clients');
    const plans = (f as unknown as { remediations: { id: string; kubectl: string }[] }).remediations;
    const plan = plans.find(
      (r) => r.id === 'port-exception:PeerAuthentication/srv/api-port-8080:8080:strict',
    );
    const created = heredocOf(plan?.kubectl);
    expect(created).toContain('mode: STRICT');
    const fixed = (await matrixJson(`${mesh}---\n${created}\n`)).pairs;
    expect(brief(fixed.get(from('legacy/old')))).toBe('ok/DISABLE');
    expect(brief(fixed.get('legacy/old -> srv/admin:90'))).toBe('fail(strict-plaintext-clients)/DISABLE');
    expect(brief(fixed.get('client/sleep -> srv/admin:90'))).toBe('ok/ISTIO_MUTUAL');
  });
});

describe('area 9: the port exception offered for a namespace policy’s ignored portLevelMtls', () => {
  it('is STRICT for an ambient workload under a STRICT mesh, so the namespace policy without mode cannot open it', async () => {
    const mesh =
      STRICT_MESH_AMBIENT_API +
      doc({
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: 'srv' },
        spec: { portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } },
      });
    const f = (await checkJson(mesh)).findings.find((x) => x.code === 'port-level-mtls-ignored');
    const plans = (f as unknown as { remediations: { id: string; kubectl: string }[] }).remediations;
    const created = heredocOf(plans[0]?.kubectl);
    expect(created).toContain('mode: STRICT');
    const fixed = (await matrixJson(`${mesh}---\n${created}\n`)).pairs;
    expect(brief(fixed.get(from('legacy/old')))).toBe('ok/DISABLE');
    expect(brief(fixed.get('legacy/old -> srv/admin:90'))).toBe('fail(strict-plaintext-clients)/DISABLE');
  });
});

describe('area 9: how each client reaches an ambient server', () => {
  // cluster_tls_test.go TestApplyUpstreamTLSSettingsHBONE "sidecar: explicit TLS and HBONE": a SIMPLE
  // rule becomes hbone(inner TLS) + user TLS, so the app behind ztunnel receives the TLS.
  it('a sidecar with a SIMPLE DestinationRule tunnels TLS over HBONE: a plaintext app fails, a TLS app works', async () => {
    const yaml = AMBIENT_API + destinationRule('client', 'api-tls', 'api.srv.svc.cluster.local', 'SIMPLE');
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(from('client/sleep')))).toBe('fail(destinationrule-tls-conflict)/SIMPLE');
    // ztunnel reads no DestinationRule.
    expect(brief(pairs.get(from('amb/curl')))).toBe('ok/ISTIO_MUTUAL');
    // workloads.go setTunnelProtocol: ztunnel sends HBONE only to ambient pods and to pods labelled
    // networking.istio.io/tunnel=http; plaintext to the rest (a STRICT sidecar resets it, no proxy takes it).
    expect(brief(pairs.get('amb/curl -> client/sleep:80'))).toBe('ok/DISABLE');
    expect(brief(pairs.get('amb/curl -> legacy/old:80'))).toBe('ok/DISABLE');
    const strictClient = (await matrixJson(yaml + peerAuthentication('client', 'default', 'STRICT'))).pairs;
    expect(brief(strictClient.get('amb/curl -> client/sleep:80'))).toBe(
      'fail(strict-plaintext-clients)/DISABLE',
    );

    const tlsApp = yaml.replaceAll('    - name: http\n      port: 80', '    - name: https\n      port: 80');
    expect(brief((await matrixJson(tlsApp)).pairs.get(from('client/sleep')))).toBe('ok/SIMPLE');
  });

  // cluster_tls_test.go TestApplyUpstreamTLSSettingsHBONE "sidecar: auto mTLS and HBONE": ISTIO_MUTUAL is
  // replaced by HBONE; endpoint_builder.go buildEnvoyLbEndpoint: HBONE is not used when the endpoint's
  // own tlsMode is "istio" and PILOT_PREFER_SENDING_HBONE is off (its default), and ztunnel terminates
  // only HBONE, so Istio mTLS to the pod's port is not read.
  it('a sidecar sends Istio mTLS, not HBONE, to an ambient pod labelled security.istio.io/tlsMode=istio', async () => {
    const yaml =
      clients +
      namespace('srv', 'ambient') +
      app('srv', 'api', { labels: { 'security.istio.io/tlsMode': 'istio' } });
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(from('client/sleep')))).toBe('fail(tlsmode-label-mismatch)/ISTIO_MUTUAL');
    // ztunnel still uses HBONE: the CNI's redirection makes it HBONE (workloads.go setTunnelProtocol).
    expect(brief(pairs.get(from('amb/curl')))).toBe('ok/ISTIO_MUTUAL');
    const check = await checkJson(yaml);
    expect(check.findings.map((x) => x.code)).toContain('tlsmode-label-mismatch');
  });
});

/** A waypoint as `istioctl waypoint generate` writes it. */
function waypoint(ns: string, name: string, trafficType?: string): string {
  const labels = trafficType ? `\n  labels:\n    istio.io/waypoint-for: ${trafficType}` : '';
  return `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: ${ns}${labels}
spec:
  gatewayClassName: istio-waypoint
  listeners:
    - name: mesh
      port: 15008
      protocol: HBONE
`;
}

describe('area 9: waypoints (istio.io/use-waypoint)', () => {
  const labelled = (yaml: string, label: string) =>
    yaml.replace(
      'name: srv\n  labels:\n    istio.io/dataplane-mode: ambient',
      `name: srv\n  labels:\n    istio.io/dataplane-mode: ambient\n    istio.io/use-waypoint: ${label}`,
    );
  const mesh = AMBIENT_API + peerAuthentication('srv', 'default', 'STRICT');

  // waypoints.go fetchWaypointForTarget: a named waypoint that is not found is reported not ready
  // (ReportWaypointIsNotReady) and nothing is attached, so ztunnel goes direct; mTLS is unchanged.
  // Docs: istio.io/latest/docs/ambient/usage/waypoint/ ("Configure a namespace to use a waypoint").
  it('a namespace using a waypoint that does not exist: traffic bypasses it, mTLS unchanged', async () => {
    const yaml = labelled(mesh, 'waypoint');
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(from('amb/curl')))).toBe('ok/ISTIO_MUTUAL');
    expect(brief(pairs.get(from('client/sleep')))).toBe('ok/ISTIO_MUTUAL');
    expect(brief(pairs.get(from('legacy/old')))).toBe('fail(strict-plaintext-clients)/DISABLE');

    const check = await checkJson(yaml);
    const f = check.findings.find((x) => x.code === 'waypoint-not-found');
    expect(f?.resource).toEqual({ kind: 'Namespace', name: 'srv' });
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('waypoint srv/waypoint');
    expect(f?.message).toContain('L7 policy');
    expect((await checkSarif(yaml)).rules.map((r) => r.id)).toContain('waypoint-not-found');

    // With the waypoint (a Gateway of class istio-waypoint) there is nothing to report.
    const withWaypoint = await checkJson(yaml + waypoint('srv', 'waypoint'));
    expect(withWaypoint.findings.map((x) => x.code)).not.toContain('waypoint-not-found');
    // "none" opts out (GetUseWaypoint).
    expect((await checkJson(labelled(mesh, 'none'))).findings.map((x) => x.code)).not.toContain(
      'waypoint-not-found',
    );
  });

  // waypoints.go fetchWaypointForService: a waypoint for "workload" traffic only does not take a
  // Service's traffic (ReportWaypointUnsupportedTrafficType); without istio.io/waypoint-for it is "service".
  // fetchWaypointForWorkload does take it, so the namespace's pods keep the waypoint, and ztunnel uses it
  // for traffic addressed to a pod (istio/ztunnel src/proxy/outbound.rs: a workload waypoint only when
  // `service.is_none()`): only the Services bypass it.
  it('a namespace waypoint for workload traffic only is not used for Services, still for pod-addressed traffic', async () => {
    const yaml = labelled(mesh, 'waypoint') + waypoint('srv', 'waypoint', 'workload');
    const check = await checkJson(yaml);
    const f = check.findings.find((x) => x.code === 'waypoint-traffic-type');
    expect(f?.resource).toEqual({ kind: 'Namespace', name: 'srv' });
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('"workload" traffic');
    expect(f?.message).toContain("attaches it to the namespace's pods but to none of its Services");
    expect(f?.message).toContain('traffic addressed to a pod directly');
    expect(f?.message).not.toContain('istiod attaches no waypoint');
    const all = await checkJson(labelled(mesh, 'waypoint') + waypoint('srv', 'waypoint', 'all'));
    expect(all.findings.map((x) => x.code)).not.toContain('waypoint-traffic-type');
  });

  // waypoints.go fetchWaypointForTarget: a found waypoint is attached only if
  // AllowsAttachmentFromNamespace(OrLookup) admits the subject's namespace (ReportWaypointAttachmentDenied);
  // makeAllowedRoutes / makeWaypointSelector read allowedRoutes.namespaces of the HBONE listener on 15008,
  // "Same" when absent; "All" admits any namespace, "Selector" matches the namespace's labels.
  it('a waypoint in another namespace is attached only if its HBONE listener admits the namespace', async () => {
    const crossNs = (yaml: string) =>
      labelled(yaml, 'waypoint').replace(
        'istio.io/use-waypoint: waypoint',
        'istio.io/use-waypoint: waypoint\n    istio.io/use-waypoint-namespace: infra\n    team: payments',
      );
    const base = crossNs(mesh) + namespace('infra', 'ambient');
    const allowed = (from: string) => `\n      allowedRoutes:\n        namespaces:\n          from: ${from}`;

    const denied = await checkJson(base + waypoint('infra', 'waypoint'));
    const f = denied.findings.find((x) => x.code === 'waypoint-attachment-denied');
    expect(f?.resource).toEqual({ kind: 'Namespace', name: 'srv' });
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('admits only its own namespace infra');
    expect(f?.message).toContain('not namespace srv');
    expect(f?.message).toContain('L7 policy');
    expect(denied.findings.map((x) => x.code)).not.toContain('waypoint-not-found');
    expect((await checkSarif(base + waypoint('infra', 'waypoint'))).rules.map((r) => r.id)).toContain(
      'waypoint-attachment-denied',
    );

    const codes = async (yaml: string) => (await checkJson(yaml)).findings.map((x) => x.code);
    const withListener = (extra: string) =>
      waypoint('infra', 'waypoint').replace('protocol: HBONE', `protocol: HBONE${extra}`);
    expect(await codes(base + withListener(allowed('All')))).not.toContain('waypoint-attachment-denied');
    const selector = (label: string) =>
      `${allowed('Selector')}\n          selector:\n            matchLabels:\n              team: ${label}`;
    expect(await codes(base + withListener(selector('payments')))).not.toContain(
      'waypoint-attachment-denied',
    );
    expect(await codes(base + withListener(selector('search')))).toContain('waypoint-attachment-denied');
    // A Selector without a selector selects nothing (LabelSelectorAsSelector(nil)).
    expect(await codes(base + withListener(allowed('Selector')))).toContain('waypoint-attachment-denied');
  });

  // The waypoint the fix creates for a subject in another namespace must admit it, or the fix leaves a
  // waypoint that is still not attached (makeWaypointSelector: "Same" by default).
  it('the waypoint created for another namespace admits it: applied, nothing is left to report', async () => {
    const yaml =
      labelled(mesh, 'waypoint').replace(
        'istio.io/use-waypoint: waypoint',
        'istio.io/use-waypoint: waypoint\n    istio.io/use-waypoint-namespace: infra',
      ) + namespace('infra', 'ambient');
    const f = (await checkJson(yaml)).findings.find((x) => x.code === 'waypoint-not-found');
    const plans = (f as unknown as { remediations: { id: string; kubectl: string }[] }).remediations;
    expect(plans.map((r) => r.id)).toEqual(['create-waypoint:Gateway/infra/waypoint']);
    const created = /<<'EOF'\n([\s\S]*)\nEOF$/.exec(plans[0]?.kubectl ?? '')?.[1] ?? '';
    expect(created).toContain('from: All');
    const after = await checkJson(`${yaml}---\n${created}\n`);
    expect(after.findings.map((x) => x.code)).not.toContain('waypoint-not-found');
    expect(after.findings.map((x) => x.code)).not.toContain('waypoint-attachment-denied');
    // In the subject's own namespace the default listener is enough.
    const same = (await checkJson(labelled(mesh, 'waypoint'))).findings.find(
      (x) => x.code === 'waypoint-not-found',
    );
    const samePlan = (same as unknown as { remediations: { kubectl: string }[] }).remediations[0];
    expect(samePlan?.kubectl).not.toContain('allowedRoutes');
  });

  // waypoints.go gatewayToWaypointTransform: a Gateway without status.addresses is not a waypoint yet.
  // A manifest without status says nothing about it; a status without addresses (read live) does.
  it('a waypoint Gateway whose status has no addresses is reported as not programmed yet', async () => {
    const yaml = labelled(mesh, 'waypoint');
    const status = (s: string) => `${waypoint('srv', 'waypoint')}status:\n${s}`;
    const pending = await checkJson(
      yaml + status('  conditions:\n    - type: Programmed\n      status: "False"\n'),
    );
    const f = pending.findings.find((x) => x.code === 'waypoint-not-found');
    expect(f?.message).toContain('not programmed yet');
    expect((f as unknown as { remediations: unknown[] }).remediations).toEqual([]);
    const programmed = await checkJson(
      yaml + status('  addresses:\n    - type: Hostname\n      value: waypoint.srv.svc.cluster.local\n'),
    );
    expect(programmed.findings.map((x) => x.code)).not.toContain('waypoint-not-found');
  });
});
