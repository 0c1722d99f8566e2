import { Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterModel } from '../../src/snapshot/live/model.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import {
  type Answer,
  answerFromFile,
  answerLive,
  caRootConfigMap,
  type FindingJson as Finding,
  findingsSaid,
  type KubeObject,
} from '../helpers/live-vs-file.js';

// An ambient namespace whose label names the waypoint `waypoint` (istio.io/latest/docs/ambient/usage/
// waypoint/, "Configure a namespace to use a waypoint"), with a pod and Service, and istiod's root cert.
const mesh: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'srv',
      labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' },
    },
  },
  caRootConfigMap('srv'),
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'api', namespace: 'srv', labels: { app: 'api' } },
    spec: { serviceAccountName: 'api', containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] },
    status: { phase: 'Running' },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'srv' },
    spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  },
];
/** The waypoint as `istioctl waypoint generate` writes it. */
const waypoint: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'waypoint', namespace: 'srv' },
  spec: {
    gatewayClassName: 'istio-waypoint',
    listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
  },
};

const GATEWAYS = '/apis/gateway.networking.k8s.io';
const REFUSED = {
  status: 403,
  reason: 'Forbidden',
  message: 'gateways.gateway.networking.k8s.io is forbidden',
};

let fake: FakeKubeApi | undefined;
let model: ClusterModel | undefined;
afterEach(async () => {
  model?.stop();
  model = undefined;
  await fake?.stop();
  fake = undefined;
});

type Gap = { source: string; reason: string; optional?: boolean };
type Answers = Answer<{ findings?: Finding[]; gaps?: Gap[] }>;

/** `check -o json` on these objects read from a loopback API server (set up by `serve`). */
const live = (objects: KubeObject[], serve?: (api: FakeKubeApi) => void): Promise<Answers> =>
  answerLive(objects, 'check', serve);
/** `check -f <file> -o json` on the same objects written to a file. */
const fromFile = (objects: KubeObject[]): Promise<Answers> => answerFromFile(objects, 'check');

const codes = (a: Answers) => findingsSaid(a).map((f) => f.code);

describe('waypoints from a live cluster: Gateways are read', () => {
  it('the Gateway the namespace names is found; without it waypoint-not-found, as from a file', async () => {
    const found = await live([...mesh, waypoint]);
    expect(codes(found)).not.toContain('waypoint-not-found');
    expect(found.json.gaps).toEqual([]);
    expect(findingsSaid(found)).toEqual(findingsSaid(await fromFile([...mesh, waypoint])));

    const missing = await live(mesh);
    const f = findingsSaid(missing).find((x) => x.code === 'waypoint-not-found');
    expect(f?.resource).toEqual({ kind: 'Namespace', name: 'srv' });
    expect(f?.message).toContain('waypoint srv/waypoint');
    expect(missing.json.gaps).toEqual([]);
    const file = await fromFile(mesh);
    expect(findingsSaid(missing)).toEqual(findingsSaid(file));
    expect(missing.code).toBe(file.code);
  });

  it('v1beta1 Gateways (an older Gateway API) are read when v1 is not served', async () => {
    const v1beta1 = { ...waypoint, apiVersion: 'gateway.networking.k8s.io/v1beta1' };
    const answers = await live([...mesh, v1beta1], (api) => api.unserve('gateway.networking.k8s.io/v1'));
    expect(codes(answers)).not.toContain('waypoint-not-found');
    expect(answers.json.gaps).toEqual([]);
  });

  it('no Gateway API CRDs (404): no waypoint can exist, so waypoint-not-found, and nothing left unchecked', async () => {
    const answers = await live(mesh, (api) =>
      api.unserve('gateway.networking.k8s.io/v1').unserve('gateway.networking.k8s.io/v1beta1'),
    );
    expect(codes(answers)).toContain('waypoint-not-found');
    expect(answers.json.gaps).toEqual([]);
    expect(answers.code).not.toBe(3);
  });

  it('gateways refused (403): a gap naming list gateways.gateway.networking.k8s.io, and no waypoint-not-found', async () => {
    const answers = await live(mesh, (api) => api.fault(GATEWAYS, REFUSED));
    expect(codes(answers)).not.toContain('waypoint-not-found');
    expect(answers.json.gaps?.map((g) => g.source)).toEqual([
      'gateways.gateway.networking.k8s.io list (all namespaces)',
    ]);
    expect(answers.json.gaps?.[0]?.reason).toContain(
      'RBAC verb "list" on resource "gateways" in API group "gateway.networking.k8s.io"',
    );
    expect(answers.json.gaps?.[0]?.optional).toBeUndefined();
    // The check could not complete.
    expect(answers.code).toBe(3);
  });
});

describe('waypoints in the watched model (serve)', { timeout: 20_000 }, () => {
  async function watched(objects: KubeObject[], serve: (api: FakeKubeApi) => void = () => {}) {
    fake = new FakeKubeApi().add(...structuredClone(objects));
    serve(fake);
    const config = fake.kubeConfig(await fake.start());
    model = new ClusterModel(createKubeApi({ kubeConfig: config }), new Watch(config), {
      backoffMs: { first: 50, max: 200 },
    });
    model.start();
    expect(await model.whenSettled(10_000)).toBe(true);
    const snapshot = model.snapshot();
    return { snapshot, codes: diagnose(snapshot).findings.map((f) => f.code) };
  }

  it('watches gateways: the waypoint is found, and a missing one is reported', async () => {
    const found = await watched([...mesh, waypoint]);
    expect(found.snapshot.waypointGateways?.map((g) => g.meta.name)).toEqual(['waypoint']);
    expect(found.codes).not.toContain('waypoint-not-found');
    model?.stop();
    await fake?.stop();
    expect((await watched(mesh)).codes).toContain('waypoint-not-found');
  });

  it('no Gateway API CRDs: no gateways and no gap; refused: a gap and no waypoint-not-found', async () => {
    const notServed = await watched(mesh, (api) =>
      api.unserve('gateway.networking.k8s.io/v1').unserve('gateway.networking.k8s.io/v1beta1'),
    );
    expect(notServed.snapshot.waypointGateways).toEqual([]);
    expect(notServed.snapshot.gaps).toEqual([]);
    expect(notServed.codes).toContain('waypoint-not-found');
    model?.stop();
    await fake?.stop();

    const refused = await watched(mesh, (api) => api.fault(GATEWAYS, REFUSED));
    expect(refused.snapshot.waypointGateways).toBeUndefined();
    expect(refused.snapshot.gaps.map((g) => g.source)).toEqual([
      'gateways.gateway.networking.k8s.io list (all namespaces)',
    ]);
    expect(refused.codes).not.toContain('waypoint-not-found');
  });
});
