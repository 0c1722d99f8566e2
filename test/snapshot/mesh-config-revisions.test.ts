// The mesh config the default control plane reads: ConfigMap `istio` of the Istio namespace. A canary
// revision's `istio-<rev>` is another istiod's (pilot/pkg/bootstrap/mesh.go getMeshConfigMapName) and
// never layers onto it; a cluster run by revisions only is checked with a revision's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { readClusterSnapshot } from '../../src/snapshot/live/read-cluster.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { app, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

const meshMap = (name: string, mesh: string, ns = 'istio-system') =>
  `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}}\ndata:\n  mesh: |-\n    ${mesh}\n`;
const DEFAULT = meshMap('istio', 'trustDomain: cluster.local');
const CANARY = meshMap('istio-1-24', 'enableAutoMtls: false');
const sourceOf = (yaml: string) => {
  const { meshConfig } = snapshotOf(yaml);
  return [meshConfig.source?.name, meshConfig.enableAutoMtls];
};

describe("the injector's values are the default revision's too", () => {
  const injector = (name: string, rewrite: boolean) =>
    `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: istio-system}\ndata:\n  values: '{"sidecarInjectorWebhook": {"rewriteAppHTTPProbe": ${rewrite}}}'\n`;
  const rewrites = (yaml: string) => snapshotOf(yaml).injector.rewriteAppHTTPProbe;

  it("a canary's istio-sidecar-injector-<rev> beside the default one changes nothing, in either order", () => {
    const stable = injector('istio-sidecar-injector', true);
    const canary = injector('istio-sidecar-injector-1-24', false);
    expect(rewrites(stable + canary)).toBe(true);
    expect(rewrites(canary + stable)).toBe(true);
    // Revisions only: a revision's values are the injector's.
    expect(rewrites(canary)).toBe(false);
  });
});

describe('which mesh ConfigMap the snapshot takes', () => {
  it("a revision's istio-<rev> beside istio changes nothing, in either order", () => {
    expect(sourceOf(DEFAULT + CANARY)).toEqual(['istio', true]);
    expect(sourceOf(CANARY + DEFAULT)).toEqual(['istio', true]);
  });

  it('an IstioOperator of a revision does not layer onto the default either', () => {
    const operator = `---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: canary, namespace: istio-system}\nspec:\n  revision: 1-24\n  meshConfig: {enableAutoMtls: false}\n`;
    expect(sourceOf(DEFAULT + operator)).toEqual(['istio', true]);
  });

  it("without istio, a revision's ConfigMap is the mesh config, and it is the source named", () => {
    expect(sourceOf(CANARY)).toEqual(['istio-1-24', false]);
    expect(snapshotOf(CANARY).gaps).toEqual([]);
  });

  it('several revisions and no istio: the first revision, with an optional gap saying so', () => {
    const snapshot = snapshotOf(meshMap('istio-1-25', 'trustDomain: b.example') + CANARY);
    expect(snapshot.meshConfig.source?.name).toBe('istio-1-24');
    expect(snapshot.gaps).toEqual([
      expect.objectContaining({
        source: 'mesh config',
        optional: true,
        reason: expect.stringContaining('1-24, 1-25'),
      }),
    ]);
  });

  it("a ConfigMap named istio outside Istio's namespace is not the mesh config", () => {
    const lookalike = meshMap('istio', 'enableAutoMtls: false', 'shop');
    expect(sourceOf(DEFAULT + lookalike)).toEqual(['istio', true]);
    expect(snapshotOf(DEFAULT + lookalike).meshConfig.source?.namespace).toBe('istio-system');
  });
});

describe('a canary revision added by a change', () => {
  const mesh = `${namespace('a')}${namespace('b')}${app('a', 'client')}${app('b', 'server')}${peerAuthentication('b', 'default', 'STRICT')}${DEFAULT}`;
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-revision-'));
  writeFileSync(join(dir, 'before.yaml'), mesh);
  writeFileSync(join(dir, 'after.yaml'), mesh + CANARY);

  it('breaks nothing in diff, and check finds no auto-mtls-disabled', async () => {
    const diff = await runCli(['diff', '--base', 'before.yaml', '-f', 'after.yaml'], { cwd: dir });
    expect(diff.stdout).toContain('breaks nothing');
    expect(diff.code).toBe(EXIT.ok);
    const check = await runCli(['check', '--no-istioctl', '-f', join(dir, 'after.yaml'), '-o', 'json']);
    expect(JSON.parse(check.stdout).findings.map((f: { code: string }) => f.code)).not.toContain(
      'auto-mtls-disabled',
    );
  });
});

describe('a live cluster', () => {
  let fake: FakeKubeApi | undefined;
  afterEach(async () => fake?.stop());

  it("reads istio, not the canary's istio-<rev> listed after it", async () => {
    const configMap = (name: string, mesh: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'istio-system' },
      data: { mesh },
    });
    fake = paymentsCluster().add(
      configMap('istio', 'trustDomain: cluster.local\n'),
      configMap('istio-1-24', 'enableAutoMtls: false\n'),
    );
    const api = createKubeApi({ kubeConfig: fake.kubeConfig(await fake.start()) });
    const { snapshot } = await readClusterSnapshot(api);
    expect(snapshot.meshConfig.enableAutoMtls).toBe(true);
    expect(snapshot.meshConfig.source?.name).toBe('istio');
  });
});

describe('workloads of a revision whose istio-<rev> is not the mesh config checked', () => {
  const CANARY_OFF = meshMap('istio-canary', 'enableAutoMtls: false');
  const CANARY_SAME = meshMap('istio-canary', 'trustDomain: cluster.local');
  const shop = (labels: string) =>
    `---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {${labels}}}\n${app('shop', 'web')}${app('shop', 'orders')}${peerAuthentication('shop', 'default', 'STRICT')}`;
  const revisionGaps = (yaml: string) =>
    snapshotOf(yaml).gaps.filter((g) => g.source.includes('istio-canary'));

  it('a blocking gap naming the revision, its namespaces and the setting that differs', () => {
    expect(revisionGaps(DEFAULT + CANARY_OFF + shop('istio.io/rev: canary'))).toEqual([
      {
        source: 'ConfigMap istio-system/istio-canary',
        reason: expect.stringMatching(
          /revision canary .*namespace\(s\) shop \(2 workload\(s\)\), checked with ConfigMap istio-system\/istio: it differs in enableAutoMtls: false \(checked: true\)/,
        ),
      },
    ]);
  });

  it('an optional note when it matches in every setting read; none when no workload uses it', () => {
    const [note] = revisionGaps(DEFAULT + CANARY_SAME + shop('istio.io/rev: canary'));
    expect(note).toMatchObject({ optional: true, reason: expect.stringContaining('matches') });
    expect(revisionGaps(DEFAULT + CANARY_OFF + shop('istio-injection: enabled'))).toEqual([]);
  });

  it('a running pod is served by the revision that injected it (its annotation istio.io/rev)', () => {
    const pod = (rev: string) =>
      `---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop, labels: {app: web}, annotations: {istio.io/rev: ${rev}}}\nspec:\n  containers: [{name: web, image: x}, {name: istio-proxy, image: proxyv2}]\n`;
    const mesh = `${DEFAULT}${CANARY_OFF}${shop('istio-injection: enabled')}`;
    expect(revisionGaps(mesh + pod('canary'))).toHaveLength(1);
    expect(revisionGaps(mesh + pod('default'))).toEqual([]);
  });

  it("a change to the revision's ConfigMap is a changed object, and diff and check end incomplete", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-revision-'));
    const mesh = DEFAULT + shop('istio.io/rev: canary');
    writeFileSync(join(dir, 'before.yaml'), mesh + CANARY_SAME);
    writeFileSync(join(dir, 'after.yaml'), mesh + CANARY_OFF);
    const diff = await runCli(['diff', '--base', 'before.yaml', '-f', 'after.yaml', '-o', 'json'], {
      cwd: dir,
    });
    expect(JSON.parse(diff.stdout).changed).toEqual([
      expect.objectContaining({
        kind: 'ConfigMap',
        namespace: 'istio-system',
        name: 'istio-canary',
        key: 'mesh',
        role: 'mesh-config',
        revision: 'canary',
        change: 'modified',
      }),
    ]);
    expect(diff.code).toBe(EXIT.incomplete);
    const check = await runCli(['check', '--no-istioctl', '-f', join(dir, 'after.yaml')]);
    expect(check.code).toBe(EXIT.incomplete);
    expect(check.stdout).toContain('revision canary');
  });
});
