import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { app, destinationRule, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

describe('describeClients', () => {
  it('counts each client once, however many ports and services it fails on', () => {
    // web listens on two ports; the root rule's DISABLE makes every sidecar client fail on both.
    const web = app('app', 'web').replace(
      '      targetPort: 8080\n',
      '      targetPort: 8080\n    - name: grpc\n      port: 90\n      targetPort: 9090\n',
    );
    const yaml =
      namespace('app') +
      namespace('front') +
      namespace('other') +
      peerAuthentication('istio-system', 'default', 'STRICT') +
      web +
      app('front', 'fe') +
      app('other', 'ot') +
      destinationRule('istio-system', 'global', '*.local', 'DISABLE');
    const [f] = diagnose(snapshotOf(yaml)).findings.filter((x) => x.code === 'destinationrule-tls-conflict');
    // Three clients, each named once: not one count per failing (client, port).
    expect(f?.message).toMatch(
      /^front\/fe, other\/ot, app\/web send plaintext to app\/web:80, app\/web:90, /,
    );
  });
});

describe('describeClients across differently cut sidecar groups', () => {
  it('counts a client once when it is in a namespace group for one service and the shared group for another', () => {
    const yaml =
      namespace('app') +
      namespace('front') +
      namespace('other') +
      peerAuthentication('istio-system', 'default', 'STRICT') +
      app('app', 'web') +
      app('app', 'api') +
      app('front', 'fe') +
      app('front', 'fe2') +
      app('other', 'ot') +
      // front's own rule for web cuts front out of the shared group towards web only.
      destinationRule('front', 'web', 'web.app.svc.cluster.local', 'DISABLE') +
      destinationRule('istio-system', 'global', '*.local', 'DISABLE');
    const found = diagnose(snapshotOf(yaml)).findings.filter(
      (x) => x.code === 'destinationrule-tls-conflict',
    );
    const global = found.find((f) => f.resource.name === 'global');
    // Five client workloads in all: four named, one more.
    expect(global?.message).toMatch(/ and 1 more send plaintext to /);
  });
});
