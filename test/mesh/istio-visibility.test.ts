// Issue 14, area 5: service visibility, through `matrix -o json` and `check -o json`. A client sidecar
// that cannot see a service has no cluster for it: no DestinationRule, no auto mTLS; ALLOW_ANY sends
// plaintext through PassthroughCluster, REGISTRY_ONLY drops the call. Cases derived from istio/istio
// master: pilot/pkg/model/push_context_test.go (TestIsServiceVisible, TestServiceIndex,
// TestServiceIndexDefaultServiceExportTo), pilot/pkg/model/sidecar_test.go (TestCreateSidecarScope,
// TestSidecarOutboundTrafficPolicy), pilot/pkg/networking/core/httproute.go buildCatchAllVirtualHost.
import { describe, expect, it } from 'vitest';
import { brief, checkJson, checkSarif, matrixJson } from '../helpers/cli-mesh.js';
import { app, destinationRule, meshConfig, namespace, peerAuthentication } from '../helpers/mesh.js';

const clients = `${namespace('client')}${app('client', 'sleep')}${namespace('bar')}${app('bar', 'curl')}`;
const strictWeb = `${namespace('srv')}${app('srv', 'web')}${peerAuthentication('srv', 'default', 'STRICT')}`;
const FROM_CLIENT = 'client/sleep -> srv/web:80';
const FROM_BAR = 'bar/curl -> srv/web:80';
const FROM_SRV = 'srv/web -> srv/web:80';

/** Service srv/web with the annotation networking.istio.io/exportTo. */
function exported(value: string, yaml = strictWeb): string {
  return yaml.replace(
    'kind: Service\nmetadata:\n  name: web\n  namespace: srv\n',
    `kind: Service\nmetadata:\n  name: web\n  namespace: srv\n  annotations:\n    networking.istio.io/exportTo: "${value}"\n`,
  );
}

function sidecar(
  ns: string,
  name: string,
  opts: { hosts?: string[]; port?: number; selector?: Record<string, string>; outbound?: string } = {},
): string {
  const selector = opts.selector
    ? `\n  workloadSelector:\n    labels:\n${Object.entries(opts.selector)
        .map(([k, v]) => `      ${k}: ${v}`)
        .join('\n')}`
    : '';
  const port = opts.port
    ? `\n      port:\n        number: ${opts.port}\n        protocol: HTTP\n        name: http`
    : '';
  const egress = opts.hosts
    ? `\n  egress:\n    - hosts:\n${opts.hosts.map((h) => `        - "${h}"`).join('\n')}${port}`
    : '';
  const outbound = opts.outbound ? `\n  outboundTrafficPolicy:\n    mode: ${opts.outbound}` : '';
  return `---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:${selector}${egress}${outbound}${!selector && !egress && !outbound ? ' {}' : ''}\n`;
}

describe('Service exportTo (annotation networking.istio.io/exportTo)', () => {
  it('"." hides the service from other namespaces: their sidecars send plaintext through PassthroughCluster and STRICT resets it (TestIsServiceVisible "exportTo map with private")', async () => {
    const { code, pairs } = await matrixJson(clients + exported('.'));
    expect(code).toBe(1);
    expect(brief(pairs.get(FROM_CLIENT))).toBe('fail(service-not-visible-passthrough)/DISABLE');
    expect(pairs.get(FROM_CLIENT)?.symptom).toContain('connection reset');
    // The service's own namespace still sees it: auto mTLS.
    expect(brief(pairs.get(FROM_SRV))).toBe('ok/ISTIO_MUTUAL');
    // Without the annotation every namespace sees it (TestServiceIndex "svc-unset" is public).
    expect(brief((await matrixJson(clients + strictWeb)).pairs.get(FROM_CLIENT))).toBe('ok/ISTIO_MUTUAL');
  });

  it('a named namespace sees the service, others do not; "~" hides it from all (TestIsServiceVisible "specific namespace foo/baz", "service visible to none")', async () => {
    const { pairs } = await matrixJson(clients + exported('client'));
    expect(brief(pairs.get(FROM_CLIENT))).toBe('ok/ISTIO_MUTUAL');
    expect(brief(pairs.get(FROM_BAR))).toBe('fail(service-not-visible-passthrough)/DISABLE');
    // TestServiceIndex: "svc-namespace" is exported to "namespace" only, not to its own namespace.
    expect(brief(pairs.get(FROM_SRV))).toBe('fail(service-not-visible-passthrough)/DISABLE');
    // Comma-separated, trimmed (kube/conversion.go ConvertService).
    const both = await matrixJson(clients + exported('client, bar'));
    expect(brief(both.pairs.get(FROM_BAR))).toBe('ok/ISTIO_MUTUAL');
    const none = await matrixJson(clients + exported('~'));
    expect(brief(none.pairs.get(FROM_SRV))).toBe('fail(service-not-visible-passthrough)/DISABLE');
  });

  it('a hidden service does not get the DestinationRule either: plaintext passes a PERMISSIVE server even though the rule says ISTIO_MUTUAL', async () => {
    const permissive = `${namespace('srv')}${app('srv', 'web')}`;
    const yaml =
      clients +
      exported('.', permissive) +
      destinationRule('client', 'web', 'web.srv.svc.cluster.local', 'ISTIO_MUTUAL');
    const { pairs } = await matrixJson(yaml);
    expect(brief(pairs.get(FROM_CLIENT))).toBe('ok/DISABLE');
    // Visible again: the client namespace's rule applies.
    expect(
      brief((await matrixJson(yaml.replace('exportTo: "."', 'exportTo: "*"'))).pairs.get(FROM_CLIENT)),
    ).toBe('ok/ISTIO_MUTUAL');
  });

  it('meshConfig.defaultServiceExportTo applies to services without their own exportTo; an explicit one wins (TestIsServiceVisible "global private", TestServiceIndexDefaultServiceExportTo)', async () => {
    const mesh = meshConfig('defaultServiceExportTo:\n  - "."\n  - bar');
    const { pairs } = await matrixJson(clients + strictWeb + mesh);
    expect(brief(pairs.get(FROM_CLIENT))).toBe('fail(service-not-visible-passthrough)/DISABLE');
    expect(brief(pairs.get(FROM_BAR))).toBe('ok/ISTIO_MUTUAL');
    expect(brief(pairs.get(FROM_SRV))).toBe('ok/ISTIO_MUTUAL');
    const explicit = await matrixJson(clients + exported('*') + mesh);
    expect(brief(explicit.pairs.get(FROM_CLIENT))).toBe('ok/ISTIO_MUTUAL');
  });

  it('check names the Service, the annotation and the clients, and SARIF lists the rule', async () => {
    const yaml = clients + exported('.');
    const { code, findings } = await checkJson(yaml);
    expect(code).toBe(1);
    const f = findings.find((x) => x.code === 'service-not-visible-passthrough');
    expect(f?.resource).toEqual({ kind: 'Service', namespace: 'srv', name: 'web' });
    expect(f?.message).toContain('client/sleep');
    expect(f?.why?.join(' ')).toContain('networking.istio.io/exportTo');
    expect(f?.why?.join(' ')).toContain('PassthroughCluster');
    // Nothing else blames a missing sidecar or a rule: the client has a sidecar.
    expect(findings.some((x) => x.code === 'strict-plaintext-clients')).toBe(false);
    const sarif = await checkSarif(yaml);
    expect(sarif.rules.map((r) => r.id)).toContain('service-not-visible-passthrough');
  });
});

describe('Sidecar egress hosts and outboundTrafficPolicy', () => {
  it('egress "./*" + "istio-system/*" hides other namespaces; REGISTRY_ONLY drops the call with a 502 (TestSidecarOutboundTrafficPolicy "default MeshConfig, Sidecar with registry only", buildCatchAllVirtualHost)', async () => {
    const permissive = `${namespace('srv')}${app('srv', 'web')}`;
    const scoped = sidecar('client', 'default', {
      hosts: ['./*', 'istio-system/*'],
      outbound: 'REGISTRY_ONLY',
    });
    const { code, pairs } = await matrixJson(clients + permissive + scoped);
    expect(code).toBe(1);
    expect(brief(pairs.get(FROM_CLIENT))).toBe('fail(service-not-visible-blackhole)/DISABLE');
    expect(pairs.get(FROM_CLIENT)?.symptom).toContain('502');
    // The Sidecar is client's only: bar is not scoped.
    expect(brief(pairs.get(FROM_BAR))).toBe('ok/ISTIO_MUTUAL');
    // A client without a sidecar in the scoped namespace is not scoped by it (no proxy, no scope).
    const legacy = app('client', 'old', { labels: { 'sidecar.istio.io/inject': 'false' } });
    const withLegacy = await matrixJson(clients + legacy + permissive + scoped);
    expect(brief(withLegacy.pairs.get('client/old -> srv/web:80'))).toBe('ok/DISABLE');
    // Importing the host ("sidecar-scope-with-specific-host") makes it visible again.
    const withHost = sidecar('client', 'default', {
      hosts: ['./*', 'srv/web.srv.svc.cluster.local'],
      outbound: 'REGISTRY_ONLY',
    });
    expect(brief((await matrixJson(clients + permissive + withHost)).pairs.get(FROM_CLIENT))).toBe(
      'ok/ISTIO_MUTUAL',
    );

    const { findings } = await checkJson(clients + permissive + scoped);
    const f = findings.find(
      (x) => x.code === 'service-not-visible-blackhole' && x.message.includes('srv/web:80'),
    );
    expect(f?.resource).toEqual({ kind: 'Sidecar', namespace: 'client', name: 'default' });
    expect(f?.fix).toContain('srv/web.srv.svc.cluster.local');
  });

  it('a Sidecar that hides a service from its own workloads names them as the clients, not nobody', async () => {
    const own = sidecar('srv', 'default', { hosts: ['istio-system/*'], outbound: 'REGISTRY_ONLY' });
    const { findings } = await checkJson(`${namespace('srv')}${app('srv', 'web')}${own}`);
    const f = findings.find((x) => x.code === 'service-not-visible-blackhole');
    expect(f?.message).toMatch(/^srv\/web cannot see srv\/web:80 /);
  });

  it('ALLOW_ANY (the default) sends plaintext; a Sidecar ALLOW_ANY overrides a mesh REGISTRY_ONLY and the reverse (TestSidecarOutboundTrafficPolicy)', async () => {
    const scoped = sidecar('client', 'default', { hosts: ['./*'] });
    const base = clients + strictWeb + scoped;
    expect(brief((await matrixJson(base)).pairs.get(FROM_CLIENT))).toBe(
      'fail(service-not-visible-passthrough)/DISABLE',
    );
    const registryOnly = meshConfig('outboundTrafficPolicy:\n  mode: REGISTRY_ONLY');
    // "MeshConfig registry only, sidecar without OutboundTrafficPolicy" → REGISTRY_ONLY.
    expect(brief((await matrixJson(base + registryOnly)).pairs.get(FROM_CLIENT))).toBe(
      'fail(service-not-visible-blackhole)/DISABLE',
    );
    // "MeshConfig registry only, Sidecar with allow any" → ALLOW_ANY.
    const allowAny = sidecar('client', 'default', { hosts: ['./*'], outbound: 'ALLOW_ANY' });
    expect(
      brief((await matrixJson(clients + strictWeb + allowAny + registryOnly)).pairs.get(FROM_CLIENT)),
    ).toBe('fail(service-not-visible-passthrough)/DISABLE');
    // A mesh-wide REGISTRY_ONLY alone changes nothing for visible services.
    expect(brief((await matrixJson(clients + strictWeb + registryOnly)).pairs.get(FROM_CLIENT))).toBe(
      'ok/ISTIO_MUTUAL',
    );
  });

  it('a port-bound egress listener imports only that port (TestCreateSidecarScope "sidecar-with-egress-port-trims-service-non-matching-ports")', async () => {
    const on9080 = sidecar('client', 'default', { hosts: ['*/*'], port: 9080 });
    expect(brief((await matrixJson(clients + strictWeb + on9080)).pairs.get(FROM_CLIENT))).toBe(
      'fail(service-not-visible-passthrough)/DISABLE',
    );
    const on80 = sidecar('client', 'default', { hosts: ['*/*'], port: 80 });
    expect(brief((await matrixJson(clients + strictWeb + on80)).pairs.get(FROM_CLIENT))).toBe(
      'ok/ISTIO_MUTUAL',
    );
  });

  it('"~" excludes a host; a selector Sidecar wins for the workloads it selects; the root Sidecar scopes namespaces without their own, "." being each client\'s namespace', async () => {
    const excluded = sidecar('client', 'default', { hosts: ['*/*', '~/web.srv.svc.cluster.local'] });
    expect(brief((await matrixJson(clients + strictWeb + excluded)).pairs.get(FROM_CLIENT))).toBe(
      'fail(service-not-visible-passthrough)/DISABLE',
    );

    // doGetSidecarScope: selector Sidecars first; others in the namespace get the selector-less one.
    const twoClients = `${clients}${app('client', 'other')}`;
    const bySelector =
      sidecar('client', 'narrow', { hosts: ['./*'], selector: { app: 'sleep' } }) +
      sidecar('client', 'default', { hosts: ['*/*'] });
    const { pairs } = await matrixJson(twoClients + strictWeb + bySelector);
    expect(brief(pairs.get(FROM_CLIENT))).toBe('fail(service-not-visible-passthrough)/DISABLE');
    expect(brief(pairs.get('client/other -> srv/web:80'))).toBe('ok/ISTIO_MUTUAL');

    // A selector-less Sidecar in the root namespace: "./*" means the client's own namespace.
    const root = sidecar('istio-system', 'default', { hosts: ['./*', 'istio-system/*'] });
    const viaRoot = await matrixJson(`${namespace('istio-system', 'none')}${clients}${strictWeb}${root}`);
    expect(brief(viaRoot.pairs.get(FROM_CLIENT))).toBe('fail(service-not-visible-passthrough)/DISABLE');
    expect(brief(viaRoot.pairs.get(FROM_SRV))).toBe('ok/ISTIO_MUTUAL');
    // A namespace with its own Sidecar does not use the root one.
    const own = sidecar('client', 'default', { hosts: ['*/*'] });
    const ownWins = await matrixJson(
      `${namespace('istio-system', 'none')}${clients}${strictWeb}${root}${own}`,
    );
    expect(brief(ownWins.pairs.get(FROM_CLIENT))).toBe('ok/ISTIO_MUTUAL');
    expect(brief(ownWins.pairs.get(FROM_BAR))).toBe('fail(service-not-visible-passthrough)/DISABLE');
  });
});
