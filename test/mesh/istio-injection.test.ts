// Issue 14, area 4: injection exactly as the API server and the injector decide it, through
// `matrix -o json` and `check -o json`. Webhook selectors are those the chart renders
// (istio/istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml); the
// object choice follows pkg/kube/inject/inject.go injectRequired and its table in webhook_test.go
// TestInjectRequired (cases named below).
import { describe, expect, it } from 'vitest';
import { brief, checkJson, matrixJson } from '../helpers/cli-mesh.js';
import { app, namespace, peerAuthentication } from '../helpers/mesh.js';

/** The MutatingWebhookConfiguration the chart renders for a revision ("" = the default revision). */
function injectorWebhooks(revision: string): string {
  const name = revision ? `istio-sidecar-injector-${revision}` : 'istio-sidecar-injector';
  const rev = revision || 'default';
  const notFalse = `\n        - key: sidecar.istio.io/inject\n          operator: NotIn\n          values: ["false"]`;
  const revisionWebhooks = `
  - name: rev.namespace.sidecar-injector.istio.io
    namespaceSelector:
      matchExpressions:
        - key: istio.io/rev
          operator: In
          values: ["${rev}"]
        - key: istio-injection
          operator: DoesNotExist
    objectSelector:
      matchExpressions:${notFalse}
  - name: rev.object.sidecar-injector.istio.io
    namespaceSelector:
      matchExpressions:
        - key: istio.io/rev
          operator: DoesNotExist
        - key: istio-injection
          operator: DoesNotExist
    objectSelector:
      matchExpressions:${notFalse}
        - key: istio.io/rev
          operator: In
          values: ["${rev}"]`;
  const defaultWebhooks = revision
    ? ''
    : `
  - name: namespace.sidecar-injector.istio.io
    namespaceSelector:
      matchExpressions:
        - key: istio-injection
          operator: In
          values: ["enabled"]
    objectSelector:
      matchExpressions:${notFalse}
  - name: object.sidecar-injector.istio.io
    namespaceSelector:
      matchExpressions:
        - key: istio-injection
          operator: DoesNotExist
        - key: istio.io/rev
          operator: DoesNotExist
    objectSelector:
      matchExpressions:
        - key: sidecar.istio.io/inject
          operator: In
          values: ["true"]
        - key: istio.io/rev
          operator: DoesNotExist`;
  return `---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: ${name}
webhooks:${revisionWebhooks}${defaultWebhooks}
`;
}

const revisionNamespace = (name: string, revision: string) =>
  `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels:\n    istio.io/rev: ${revision}\n`;

// A STRICT server every test calls: a client's proxy decides the outcome.
const server = `${namespace('srv')}${app('srv', 'httpbin')}${peerAuthentication('srv', 'default', 'STRICT')}`;

describe('area 4: istio.io/rev injects only when a webhook for that revision exists', () => {
  it('namespace istio.io/rev=canary with only the default revision installed: no sidecar, reset by STRICT; with the canary webhook: injected', async () => {
    const apps = revisionNamespace('apps', 'canary') + app('apps', 'sleep');
    const yaml = server + injectorWebhooks('') + apps;
    const { pairs } = await matrixJson(yaml);
    const p = pairs.get('apps/sleep -> srv/httpbin:80');
    expect(p?.client.proxy).toBe('none');
    expect(brief(p)).toBe('fail(strict-plaintext-clients)/DISABLE');
    const { findings } = await checkJson(yaml);
    const f = findings.find((x) => x.code === 'strict-plaintext-clients');
    expect(JSON.stringify(f)).toContain(
      'no injector webhook in the MutatingWebhookConfigurations selects revision canary',
    );

    const installed = server + injectorWebhooks('') + injectorWebhooks('canary') + apps;
    const after = (await matrixJson(installed)).pairs.get('apps/sleep -> srv/httpbin:80');
    expect(after?.client.proxy).toBe('sidecar');
    expect(brief(after)).toBe('ok/ISTIO_MUTUAL');
  });

  it('istio.io/rev=default is served by the default revision; istio-injection=enabled wins over istio.io/rev=canary (rev.namespace needs istio-injection DoesNotExist)', async () => {
    const yaml =
      server +
      injectorWebhooks('') +
      revisionNamespace('apps', 'default') +
      app('apps', 'sleep') +
      revisionNamespace('other', 'canary') +
      app('other', 'curl') +
      `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: both\n  labels:\n    istio-injection: enabled\n    istio.io/rev: canary\n` +
      app('both', 'curl');
    const { pairs } = await matrixJson(yaml);
    expect(pairs.get('apps/sleep -> srv/httpbin:80')?.client.proxy).toBe('sidecar');
    expect(pairs.get('both/curl -> srv/httpbin:80')?.client.proxy).toBe('sidecar');
    expect(pairs.get('other/curl -> srv/httpbin:80')?.client.proxy).toBe('none');
  });
});

describe('area 4: only the exact strings "true" and "false" in sidecar.istio.io/inject count', () => {
  const proxyOf = async (labels: Record<string, string>, annotations?: Record<string, string>) => {
    const yaml = server + namespace('apps') + app('apps', 'sleep', { labels, annotations });
    return (await matrixJson(yaml)).pairs.get('apps/sleep -> srv/httpbin:80')?.client.proxy;
  };
  const INJECT = 'sidecar.istio.io/inject';

  it('anything else falls back to the namespace default, and the label wins over the annotation (TestInjectRequired)', async () => {
    // Not "false": injected, as the default policy says.
    expect(await proxyOf({}, { [INJECT]: 'False' })).toBe('sidecar');
    // "invalid-inject-value-yes"
    expect(await proxyOf({}, { [INJECT]: 'yes' })).toBe('sidecar');
    // "invalid-inject-value-random", with an annotation "false" that the present label hides.
    expect(await proxyOf({ [INJECT]: 'random' }, { [INJECT]: 'false' })).toBe('sidecar');
    // "policy-disabled-label-disabled-annotation-enabled"
    expect(await proxyOf({ [INJECT]: 'false' }, { [INJECT]: 'true' })).toBe('none');
    // An exact annotation "false" still opts out.
    expect(await proxyOf({}, { [INJECT]: 'false' })).toBe('none');
  });
});
