import { describe, expect, it } from 'vitest';
import {
  type Answer,
  answerFromFile,
  answerLive,
  caRootConfigMap,
  type FindingJson as Finding,
  findingsSaid,
  type KubeObject,
} from '../helpers/live-vs-file.js';

// An injected namespace with the root certificate istiod writes into it (a live read looks for it).
const namespace = (name: string): KubeObject[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } },
  caRootConfigMap(name),
];
// A running injected pod, as the API server holds it (the injector's label and container).
const pod = (ns: string, name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { ...labels, 'security.istio.io/tlsMode': 'istio' } },
  spec: {
    serviceAccountName: name,
    containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }, { name: 'istio-proxy' }],
  },
  status: { phase: 'Running' },
});
const service = (ns: string, name: string, selector: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});
const strict = (ns: string): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace: ns },
  spec: { mtls: { mode: 'STRICT' } },
});

// client/sleep calls srv/web, whose namespace is STRICT.
const visibilityMesh: KubeObject[] = [
  ...namespace('client'),
  pod('client', 'sleep', { app: 'sleep' }),
  ...namespace('srv'),
  pod('srv', 'web', { app: 'web' }),
  service('srv', 'web', { app: 'web' }),
  strict('srv'),
];
/** The client namespace's Sidecar imports only its own namespace and istio-system. */
const ownNamespaceOnly: KubeObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'Sidecar',
  metadata: { name: 'default', namespace: 'client' },
  spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }] },
};

// bookinfo/productpage calls reviews (v1 and v2 pods); the reviews rule's subset v2 turns TLS off.
const bookinfoMesh: KubeObject[] = [
  ...namespace('bookinfo'),
  pod('bookinfo', 'productpage', { app: 'productpage' }),
  pod('bookinfo', 'reviews-v1', { app: 'reviews', version: 'v1' }),
  pod('bookinfo', 'reviews-v2', { app: 'reviews', version: 'v2' }),
  service('bookinfo', 'reviews', { app: 'reviews' }),
  strict('bookinfo'),
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'bookinfo' },
    spec: {
      host: 'reviews',
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { tls: { mode: 'DISABLE' } } },
      ],
    },
  },
];
const routeTo = (subset: string): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset } }] }] },
});

type Answers = Answer<{ pairs?: Pair[]; findings?: Finding[] }>;
type Pair = { from: string; to: string; outcome: string; reason: string; client: { tls: string } };

/** `<command> -o json` on these objects read from a loopback API server. */
const live = (objects: KubeObject[], command: 'check' | 'matrix'): Promise<Answers> =>
  answerLive(objects, command);
/** `<command> -f <file> -o json` on the same objects written to a file. */
const fromFile = (objects: KubeObject[], command: 'check' | 'matrix'): Promise<Answers> =>
  answerFromFile(objects, command);

const pairOf = (a: Answers, key: string) => {
  const p = a.json.pairs?.find((x) => `${x.from} -> ${x.to}` === key);
  return p && `${p.outcome === 'ok' ? 'ok' : `fail(${p.reason})`}/${p.client.tls}`;
};

describe('Sidecar and VirtualService from a live cluster, as from a file', () => {
  it("a Sidecar's egress hosts hide the STRICT service: the live matrix and check fail the call as the file does", async () => {
    const PAIR = 'client/sleep -> srv/web:80';
    // Without the Sidecar the client sees the service: auto mTLS.
    expect(pairOf(await live(visibilityMesh, 'matrix'), PAIR)).toBe('ok/ISTIO_MUTUAL');

    const mesh = [...visibilityMesh, ownNamespaceOnly];
    const liveMatrix = await live(mesh, 'matrix');
    const fileMatrix = await fromFile(mesh, 'matrix');
    expect(pairOf(liveMatrix, PAIR)).toBe('fail(service-not-visible-passthrough)/DISABLE');
    expect(liveMatrix.code).toBe(1);
    expect(liveMatrix.json.pairs).toEqual(fileMatrix.json.pairs);

    const liveCheck = await live(mesh, 'check');
    const fileCheck = await fromFile(mesh, 'check');
    expect(findingsSaid(liveCheck).map((f) => f.code)).toContain('service-not-visible-passthrough');
    expect(findingsSaid(liveCheck)).toEqual(findingsSaid(fileCheck));
    expect(liveCheck.code).toBe(fileCheck.code);
  });

  it("a VirtualService routing to subset v2 uses that subset's DISABLE: the live answers match the file's", async () => {
    const PAIR = 'bookinfo/productpage -> bookinfo/reviews:80';
    // Without a VirtualService the client uses the service's own cluster: auto mTLS.
    expect(pairOf(await live(bookinfoMesh, 'matrix'), PAIR)).toBe('ok/ISTIO_MUTUAL');
    expect(pairOf(await live([...bookinfoMesh, routeTo('v1')], 'matrix'), PAIR)).toBe('ok/ISTIO_MUTUAL');

    const mesh = [...bookinfoMesh, routeTo('v2')];
    const liveMatrix = await live(mesh, 'matrix');
    const fileMatrix = await fromFile(mesh, 'matrix');
    expect(pairOf(liveMatrix, PAIR)).toBe('fail(destinationrule-tls-conflict)/DISABLE');
    expect(liveMatrix.json.pairs).toEqual(fileMatrix.json.pairs);

    const liveCheck = await live(mesh, 'check');
    const fileCheck = await fromFile(mesh, 'check');
    const conflict = findingsSaid(liveCheck).find((f) => f.code === 'destinationrule-tls-conflict');
    expect(conflict?.why?.join(' ')).toContain(
      'VirtualService bookinfo/reviews routes these calls to subset v2',
    );
    expect(findingsSaid(liveCheck)).toEqual(findingsSaid(fileCheck));
    expect(liveCheck.code).toBe(fileCheck.code);
  });
});
