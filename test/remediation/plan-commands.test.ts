// Every plan's kubectl text, run as printed in a real shell with a fake kubectl on PATH: each operand
// arrives as exactly one argument whatever the names hold, nothing else runs, and a heredoc ends.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  addPortException,
  createExternalDestinationRule,
  createNamespaceDestinationRule,
  createNamespacePolicy,
  enableAutoMtls,
  labelNamespaceForInjection,
  type RemediationPlan,
  removeDestinationRuleTls,
  restartIstiodThenWorkloads,
  restartWorkload,
  rotateCaThenRestart,
  setDestinationRulePortTls,
  setDestinationRuleTls,
  setPeerAuthenticationMode,
} from '../../src/remediation/plans.js';
import type { DestinationRule, PeerAuthentication, Workload } from '../../src/snapshot/types.js';
import { runInShell, shellSyntaxErrors } from '../helpers/fake-kubectl.js';

// Names a manifest or a cluster could carry (validation elsewhere may reject some; quoting must hold anyway).
const NAME = 'default;touch pwned;#';
const NS = "shop$(touch pwned2)'x";
const meta = (name: string, namespace: string) => ({ name, namespace, labels: {}, annotations: {} });
const deployment = (name: string) => ({ kind: 'Deployment' as const, meta: meta(name, NS) });

function runs(plan: RemediationPlan) {
  expect(shellSyntaxErrors(plan.kubectl)).toBe('');
  const run = runInShell(plan.kubectl);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.leftovers).toEqual([]);
  return run.calls;
}

const pa = (selector?: Record<string, string>): PeerAuthentication => ({
  meta: meta(NAME, NS),
  selector,
  mode: 'STRICT',
  portLevelMtls: new Map(),
});

const rule: DestinationRule = {
  meta: meta(NAME, NS),
  host: 'pay.shop.svc.cluster.local',
  exportTo: [],
  trafficPolicy: {
    tls: { mode: 'DISABLE' },
    portLevelSettings: [{ port: 80, tls: { mode: 'DISABLE' } }, { port: 9090 }],
  },
  subsets: [
    {
      name: "v1'$(touch pwned)",
      labels: {},
      trafficPolicy: { tls: { mode: 'DISABLE' }, portLevelSettings: [] },
    },
  ],
};

describe('generated commands run as printed, whatever the names hold', () => {
  it('merge patches of a PeerAuthentication (plain names stay plain)', () => {
    const plain = setPeerAuthenticationMode({ ...pa(), meta: meta('default', 'shop') }, 'STRICT');
    expect(plain.kubectl).toBe(
      `kubectl patch peerauthentication default -n shop --type=merge -p '{"spec":{"mtls":{"mode":"STRICT"}}}'`,
    );
    const plan = setPeerAuthenticationMode(pa(), 'PERMISSIVE');
    expect(runs(plan)).toEqual([
      {
        argv: [
          'patch',
          'peerauthentication',
          NAME,
          '-n',
          NS,
          '--type=merge',
          '-p',
          '{"spec":{"mtls":{"mode":"PERMISSIVE"}}}',
        ],
      },
    ]);
  });

  it('port exception into an existing selector policy; new objects (port exception, namespace policy, DestinationRules) through a heredoc', () => {
    const patch = addPortException(NS, { app: 'x' }, 8080, pa({ app: 'x' }), deployment('w'));
    expect(runs(patch)[0]?.argv.slice(0, 5)).toEqual(['patch', 'peerauthentication', NAME, '-n', NS]);
    const created = addPortException(NS, { app: "a'b$(touch pwned)" }, 8080, undefined, deployment(NAME));
    const [call] = runs(created);
    expect(call?.argv).toEqual(['create', '-f', '-']);
    expect(parse(call?.stdin ?? '')).toEqual(created.body);
    for (const plan of [
      createNamespacePolicy(NS, 'PERMISSIVE'),
      createNamespaceDestinationRule(NS, NS, 'ISTIO_MUTUAL'),
      createExternalDestinationRule(NS, "api.example.com';touch pwned;'", 'SIMPLE'),
      createExternalDestinationRule(
        NS,
        "api.example.com';touch pwned;'",
        new Map([
          [80, 'SIMPLE'],
          [443, 'DISABLE'],
        ]),
        { beside: rule },
      ),
    ]) {
      const [call] = runs(plan);
      expect(call?.argv).toEqual(['create', '-f', '-']);
      expect(parse(call?.stdin ?? '')).toEqual(plan.body);
    }
  });

  it('label values YAML 1.1 reads as booleans, numbers or dates reach kubectl as the same strings', () => {
    // kubectl (sigs.k8s.io/yaml, go-yaml) reads YAML 1.1: a plain `yes` is a boolean there.
    const labels = { app: 'cart', legacy: 'yes', canary: 'on', tier: 'y', rev: '1_000', since: '2001-01-01' };
    const [call] = runs(addPortException('shop', labels, 8080, undefined, deployment('cart')));
    expect(parse(call?.stdin ?? '', { version: '1.1' }).spec.selector.matchLabels).toEqual(labels);
  });

  it('DestinationRule TLS: a merge patch of tls.mode at the top level, JSON patches pinned by test ops in lists', () => {
    const top = runs(setDestinationRuleTls(rule, 'spec.trafficPolicy.tls', 'ISTIO_MUTUAL'));
    expect(top[0]?.argv).toEqual([
      'patch',
      'destinationrule',
      NAME,
      '-n',
      NS,
      '--type=merge',
      '-p',
      '{"spec":{"trafficPolicy":{"tls":{"mode":"ISTIO_MUTUAL"}}}}',
    ]);
    const port = runs(
      setDestinationRuleTls(rule, 'spec.trafficPolicy.portLevelSettings[0].tls', 'ISTIO_MUTUAL'),
    );
    expect(port[0]?.argv.slice(0, 6)).toEqual(['patch', 'destinationrule', NAME, '-n', NS, '--type=json']);
    expect(JSON.parse(port[0]?.argv[7] ?? '')).toEqual([
      { op: 'test', path: '/spec/trafficPolicy/portLevelSettings/0/port/number', value: 80 },
      { op: 'add', path: '/spec/trafficPolicy/portLevelSettings/0/tls/mode', value: 'ISTIO_MUTUAL' },
    ]);
    const portWithoutTls = runs(
      setDestinationRuleTls(rule, 'spec.trafficPolicy.portLevelSettings[1].tls', 'DISABLE'),
    );
    expect(JSON.parse(portWithoutTls[0]?.argv[7] ?? '')).toEqual([
      { op: 'test', path: '/spec/trafficPolicy/portLevelSettings/1/port/number', value: 9090 },
      { op: 'add', path: '/spec/trafficPolicy/portLevelSettings/1/tls', value: { mode: 'DISABLE' } },
    ]);
    const subset = runs(setDestinationRuleTls(rule, 'spec.subsets[0].trafficPolicy.tls', 'ISTIO_MUTUAL'));
    expect(JSON.parse(subset[0]?.argv[7] ?? '')).toEqual([
      { op: 'test', path: '/spec/subsets/0/name', value: "v1'$(touch pwned)" },
      { op: 'add', path: '/spec/subsets/0/trafficPolicy/tls/mode', value: 'ISTIO_MUTUAL' },
    ]);
  });

  it('DestinationRule TLS of some ports only, and the removal of a tls block', () => {
    const ports = runs(setDestinationRulePortTls(rule, [80, 81], 'ISTIO_MUTUAL'));
    expect(ports[0]?.argv.slice(0, 6)).toEqual(['patch', 'destinationrule', NAME, '-n', NS, '--type=json']);
    expect(JSON.parse(ports[0]?.argv[7] ?? '')).toEqual([
      { op: 'test', path: '/spec/trafficPolicy/portLevelSettings/0/port/number', value: 80 },
      { op: 'add', path: '/spec/trafficPolicy/portLevelSettings/0/tls', value: { mode: 'ISTIO_MUTUAL' } },
      {
        op: 'add',
        path: '/spec/trafficPolicy/portLevelSettings/-',
        value: { port: { number: 81 }, tls: { mode: 'ISTIO_MUTUAL' } },
      },
    ]);
    expect(runs(removeDestinationRuleTls(rule, 'spec.trafficPolicy.tls'))[0]?.argv.slice(5)).toEqual([
      '--type=merge',
      '-p',
      '{"spec":{"trafficPolicy":{"tls":null}}}',
    ]);
    const inSubset = runs(removeDestinationRuleTls(rule, 'spec.subsets[0].trafficPolicy.tls'));
    expect(JSON.parse(inSubset[0]?.argv[7] ?? '')).toEqual([
      { op: 'test', path: '/spec/subsets/0/name', value: "v1'$(touch pwned)" },
      { op: 'remove', path: '/spec/subsets/0/trafficPolicy/tls' },
    ]);
  });

  it('auto mTLS: the mesh text is replaced only if it is still the one of the check', () => {
    const mesh = "# it's $(touch pwned)\nenableAutoMtls: false\n";
    const plan = enableAutoMtls({ kind: 'ConfigMap', namespace: NS, name: NAME }, mesh);
    const [call] = runs(plan);
    expect(call?.argv.slice(0, 6)).toEqual(['patch', 'configmap', NAME, '-n', NS, '--type=json']);
    expect(JSON.parse(call?.argv[7] ?? '')).toEqual([
      { op: 'test', path: '/data/mesh', value: mesh },
      { op: 'replace', path: '/data/mesh', value: "# it's $(touch pwned)\nenableAutoMtls: true\n" },
    ]);
    const operator = enableAutoMtls({ kind: 'IstioOperator', namespace: NS, name: NAME }, undefined);
    expect(runs(operator)[0]?.argv.slice(0, 5)).toEqual(['patch', 'istiooperator', NAME, '-n', NS]);
  });

  it('restarts: a workload, a bare pod (deleted and recreated by kubectl replace --force), istiod then a namespace', () => {
    const workload = (kind: Workload['kind']) => ({ kind, meta: meta(NAME, NS) }) as unknown as Workload;
    expect(runs(restartWorkload(workload('Deployment'), 'why'))).toEqual([
      { argv: ['rollout', 'restart', `deployment/${NAME}`, '-n', NS] },
    ]);
    const pod = restartWorkload(workload('Pod'), 'why');
    expect(pod.title).toContain('Delete and recreate bare pod');
    expect(pod.manual).toBe(true);
    // The two sides of a pipe start together: compare them in any order.
    expect(runs(pod)).toEqual(
      expect.arrayContaining([
        { argv: ['get', 'pod', NAME, '-n', NS, '-o', 'yaml'] },
        { argv: ['replace', '--force', '-f', '-'], stdin: '' },
      ]),
    );
    expect(runs(restartIstiodThenWorkloads(NS)).map((c) => c.argv)).toEqual([
      ['rollout', 'restart', 'deployment', 'istiod', '-n', 'istio-system'],
      ['rollout', 'status', 'deployment', 'istiod', '-n', 'istio-system', '--timeout=5m'],
      ['rollout', 'restart', 'deployment', '-n', NS],
    ]);
  });

  it('replacing the CA: a comment first, istiod, then each namespace (a loop past five)', () => {
    const few = rotateCaThenRestart('istio-system', 'cacerts', [NS, 'pay']);
    expect(runs(few).map((c) => c.argv)).toEqual([
      ['rollout', 'restart', 'deployment', 'istiod', '-n', 'istio-system'],
      ['rollout', 'status', 'deployment', 'istiod', '-n', 'istio-system', '--timeout=5m'],
      ['rollout', 'restart', 'deployment', '-n', 'pay'],
      ['rollout', 'restart', 'deployment', '-n', NS],
    ]);
    const many = ['a', 'b', 'c', 'd', 'e', "f'$(touch pwned)"];
    const calls = runs(rotateCaThenRestart('istio-system', 'cacerts', many)).map((c) => c.argv);
    expect(calls.slice(2)).toEqual(many.map((ns) => ['rollout', 'restart', 'deployment', '-n', ns]));
  });

  it('namespace label for injection, then a restart', () => {
    expect(runs(labelNamespaceForInjection(NS)).map((c) => c.argv)).toEqual([
      ['label', 'namespace', NS, 'istio-injection=enabled', '--overwrite'],
      ['rollout', 'restart', 'deployment', '-n', NS],
    ]);
  });

  it('namespace label, then a restart of exactly the workloads without a sidecar, of every kind', () => {
    const w = (kind: string, name: string, proxy: 'none' | 'sidecar') =>
      ({ kind, meta: meta(name, NS), proxy }) as unknown as Workload;
    const plan = labelNamespaceForInjection(NS, [
      w('StatefulSet', 'db', 'none'),
      w('Deployment', NAME, 'none'),
      w('Deployment', 'meshed', 'sidecar'),
      w('DaemonSet', 'agent', 'none'),
      w('CronJob', 'report', 'none'),
    ]);
    expect(runs(plan).map((c) => c.argv)).toEqual([
      ['label', 'namespace', NS, 'istio-injection=enabled', '--overwrite'],
      ['rollout', 'restart', 'daemonset/agent', `deployment/${NAME}`, 'statefulset/db', '-n', NS],
    ]);
    expect(plan.risk).toContain(
      "CronJob report have no rollout to restart: a CronJob's next run gets the sidecar",
    );
    // Many: every workload of each kind present, so the line stays short enough to show whole.
    const many = Array.from({ length: 12 }, (_, i) => w('Deployment', `app-${i}`, 'none'));
    expect(
      runs(labelNamespaceForInjection(NS, [...many, w('StatefulSet', 'db', 'none')])).map((c) => c.argv),
    ).toEqual([
      ['label', 'namespace', NS, 'istio-injection=enabled', '--overwrite'],
      ['rollout', 'restart', 'deployment', '-n', NS],
      ['rollout', 'restart', 'statefulset', '-n', NS],
    ]);
    // Nothing to roll: the label alone.
    expect(runs(labelNamespaceForInjection(NS, [w('CronJob', 'report', 'none')])).map((c) => c.argv)).toEqual(
      [['label', 'namespace', NS, 'istio-injection=enabled', '--overwrite']],
    );
  });
});
