// istio.io's security tasks, as documented (outcome of each `curl` in the task's tables): the
// "Authentication Policy" task (tasks/security/authentication/authn-policy) and the "Mutual TLS
// Migration" task (tasks/security/authentication/mtls-migration). Workload shapes follow Istio's
// samples/httpbin (Service port 8000 → container 8080) and samples/curl.
import { describe, expect, it } from 'vitest';
import { matrixOf, namespace, peerAuthentication } from '../helpers/mesh.js';

function httpbin(ns: string): string {
  return `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: httpbin, namespace: ${ns}}
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: ${ns}
  labels: {app: httpbin, service: httpbin}
spec:
  ports:
    - {name: http, port: 8000, targetPort: 8080}
  selector: {app: httpbin}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: httpbin, version: v1}}
  template:
    metadata:
      labels: {app: httpbin, version: v1}
    spec:
      serviceAccountName: httpbin
      containers:
        - image: docker.io/mccutchen/go-httpbin:v2.15.0
          imagePullPolicy: IfNotPresent
          name: httpbin
          ports: [{containerPort: 8080}]
`;
}

function curl(ns: string): string {
  return `---
apiVersion: v1
kind: Service
metadata: {name: curl, namespace: ${ns}, labels: {app: curl, service: curl}}
spec:
  ports: [{port: 80, name: http}]
  selector: {app: curl}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: curl, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: curl}}
  template:
    metadata: {labels: {app: curl}}
    spec:
      terminationGracePeriodSeconds: 0
      serviceAccountName: curl
      containers:
        - name: curl
          image: curlimages/curl
          command: ["/bin/sleep", "infinity"]
`;
}

const setup =
  namespace('foo') +
  namespace('bar') +
  namespace('legacy', 'none') +
  namespace('istio-system', 'none') +
  ['foo', 'bar', 'legacy'].map((ns) => httpbin(ns) + curl(ns)).join('');

const NAMESPACES = ['foo', 'bar', 'legacy'];

/** The task's loop: `for from in foo bar legacy; for to in foo bar legacy; curl http://httpbin.${to}:8000/ip`. */
function table(yaml: string): Record<string, 'ok' | 'fail'> {
  const m = matrixOf(yaml);
  const out: Record<string, 'ok' | 'fail'> = {};
  for (const from of NAMESPACES) {
    for (const to of NAMESPACES) {
      const outcome = m.get(`${from}/curl -> ${to}/httpbin:8000`);
      if (!outcome) throw new Error(`no pair ${from} -> ${to}`);
      out[`curl.${from} to httpbin.${to}`] = outcome === 'ok' ? 'ok' : 'fail';
    }
  }
  return out;
}

/** All calls 200 except the listed ones (000, exit code 56). */
function expected(failing: string[]): Record<string, 'ok' | 'fail'> {
  const out: Record<string, 'ok' | 'fail'> = {};
  for (const from of NAMESPACES)
    for (const to of NAMESPACES)
      out[`curl.${from} to httpbin.${to}`] = failing.includes(`${from}->${to}`) ? 'fail' : 'ok';
  return out;
}

describe('istio.io: Authentication Policy task', () => {
  it('auto mutual TLS: every call returns 200', () => {
    expect(table(setup)).toEqual(expected([]));
  });

  it('globally enabling STRICT: legacy clients fail to reach foo and bar, all else 200', () => {
    expect(table(setup + peerAuthentication('istio-system', 'default', 'STRICT'))).toEqual(
      expected(['legacy->foo', 'legacy->bar']),
    );
  });

  it('namespace-wide policy on foo: only legacy to foo fails', () => {
    expect(table(setup + peerAuthentication('foo', 'default', 'STRICT'))).toEqual(expected(['legacy->foo']));
  });

  it('workload policy on bar httpbin (with the foo namespace policy still in place)', () => {
    const yaml =
      setup +
      peerAuthentication('foo', 'default', 'STRICT') +
      peerAuthentication('bar', 'httpbin', 'STRICT', { selector: { app: 'httpbin' } });
    expect(table(yaml)).toEqual(expected(['legacy->foo', 'legacy->bar']));
  });

  it('port-level exception on the container port 8080 lets legacy reach bar httpbin', () => {
    const yaml =
      setup +
      peerAuthentication('foo', 'default', 'STRICT') +
      peerAuthentication('bar', 'httpbin', 'STRICT', {
        selector: { app: 'httpbin' },
        ports: { 8080: 'DISABLE' },
      });
    expect(table(yaml)).toEqual(expected(['legacy->foo']));
  });

  it('a port-level exception keyed by the Service port 8000 does nothing (the classic mistake)', () => {
    const yaml =
      setup +
      peerAuthentication('bar', 'httpbin', 'STRICT', {
        selector: { app: 'httpbin' },
        ports: { 8000: 'DISABLE' },
      });
    expect(table(yaml)).toEqual(expected(['legacy->bar']));
  });

  it('policy precedence: a workload DISABLE overrides the foo namespace STRICT', () => {
    const yaml =
      setup +
      peerAuthentication('foo', 'default', 'STRICT') +
      peerAuthentication('foo', 'overwrite-example', 'DISABLE', { selector: { app: 'httpbin' } });
    expect(table(yaml)).toEqual(expected([]));
  });
});

describe('istio.io: Mutual TLS Migration task', () => {
  it('before migration (PERMISSIVE by default): every call returns 200', () => {
    expect(table(setup)).toEqual(expected([]));
  });

  it('lock down foo to STRICT: legacy to foo fails', () => {
    expect(table(setup + peerAuthentication('foo', 'default', 'STRICT'))).toEqual(expected(['legacy->foo']));
  });

  it('lock down the whole mesh: legacy to foo and bar fail', () => {
    expect(table(setup + peerAuthentication('istio-system', 'default', 'STRICT'))).toEqual(
      expected(['legacy->foo', 'legacy->bar']),
    );
  });
});
