// An object the API server holds but the analysis cannot read (a CRD without schema validation keeps
// anything) is left out of a live check and named in a gap, object and field; it never ends the read
// with a made-up `cluster:0` location. Manifests keep their file:line error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { buildSnapshot } from '../../src/snapshot/build-snapshot.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { readClusterSnapshot } from '../../src/snapshot/live/read-cluster.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi | undefined;
afterEach(async () => fake?.stop());

const meshConfigMap = (mesh: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'istio', namespace: 'istio-system' },
  data: { mesh },
});

const lowercaseTlsRule = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'legacy-dr', namespace: 'legacy' },
  spec: { host: 'cron.legacy.svc.cluster.local', trafficPolicy: { tls: { mode: 'istio_mutual' } } },
};

// A namespace and nothing wrong in it: the check has no error finding, so gaps alone decide the exit.
function quietCluster(): FakeKubeApi {
  return new FakeKubeApi().add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quiet' } });
}

describe('objects the analysis cannot read, from a live cluster', () => {
  it('are left out and named with their field; the rest of the cluster is still read', async () => {
    fake = paymentsCluster().add(meshConfigMap('enableAutoMtls: maybe\n'), lowercaseTlsRule);
    const api = createKubeApi({ kubeConfig: fake.kubeConfig(await fake.start()) });
    const { snapshot } = await readClusterSnapshot(api);
    expect(snapshot.gaps).toEqual([
      {
        source: 'ConfigMap istio-system/istio',
        reason:
          'data.mesh.enableAutoMtls: Invalid input: expected boolean, received string (the analysis cannot read this value, so the object was left out of the check)',
      },
      {
        source: 'DestinationRule legacy/legacy-dr',
        reason: expect.stringMatching(
          /^spec\.trafficPolicy\.tls\.mode: Invalid option: expected one of "DISABLE"\|.* \(the analysis cannot read this value, so the object was left out of the check\)$/,
        ),
      },
    ]);
    expect(snapshot.destinationRules).toEqual([]);
    expect(snapshot.workloads.map((w) => w.meta.name).sort()).toEqual(['cron-0', 'payments-0']);
    expect(snapshot.peerAuthentications).toHaveLength(1);
  });

  it('check shows the gap and exits 3 (incomplete), never "cluster:0" or "No mTLS problems found"', async () => {
    fake = quietCluster().add(meshConfigMap('enableAutoMtls: maybe\n'));
    const config = kubeconfigFile(await fake.start());
    const { code, stdout, stderr } = await runCli(['check', '--no-istioctl', '--kubeconfig', config]);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.incomplete);
    expect(stdout).toContain('? ConfigMap istio-system/istio: data.mesh.enableAutoMtls:');
    expect(stdout).not.toContain('cluster:0');
    expect(stdout).not.toContain('No mTLS problems found');
  });

  it('a webhook configuration left out is an optional gap: the core check stays complete', async () => {
    fake = quietCluster().add({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'odd' },
      webhooks: [{ name: 'x.example.com', failurePolicy: 'Fail', clientConfig: { service: { name: 7 } } }],
    });
    const config = kubeconfigFile(await fake.start());
    const { code, stdout } = await runCli(['check', '--no-istioctl', '--kubeconfig', config, '-o', 'json']);
    const result = JSON.parse(stdout);
    expect(result.gaps).toEqual([
      expect.objectContaining({ source: 'ValidatingWebhookConfiguration odd', optional: true }),
    ]);
    expect(code).toBe(EXIT.ok);
  });

  it('past ten, one gap counts the rest', () => {
    const pods = Array.from({ length: 13 }, (_, i) => ({
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p-${i}`, namespace: 'shop' },
        spec: { containers: 'not a list' },
      },
      lineOf: () => 0,
    }));
    const { gaps } = buildSnapshot(pods, { leaveOutInvalid: true });
    expect(gaps).toHaveLength(11);
    expect(gaps[0]?.source).toBe('Pod shop/p-0');
    expect(gaps[10]).toEqual({
      source: '3 more objects (Pod)',
      reason: 'left out of the check for values the analysis cannot read, like the ones above',
    });
  });
});

describe('the mesh config read as Istio reads it (YAML 1.1, sigs.k8s.io/yaml)', () => {
  it('takes enableAutoMtls: yes / off as booleans, live and from a file', async () => {
    fake = paymentsCluster().add(meshConfigMap('enableAutoMtls: off\ntrustDomain: cluster.local\n'));
    const api = createKubeApi({ kubeConfig: fake.kubeConfig(await fake.start()) });
    const { snapshot } = await readClusterSnapshot(api);
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.meshConfig.enableAutoMtls).toBe(false);

    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-mesh-'));
    writeFileSync(
      join(dir, 'mesh.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: "enableAutoMtls: yes"\n',
    );
    const { code, stderr } = await runCli(['check', '--no-istioctl', '-f', join(dir, 'mesh.yaml')]);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
  });
});

describe('the same objects in manifests', () => {
  it('stay bad input at their file and line, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-invalid-'));
    writeFileSync(
      join(dir, 'dr.yaml'),
      'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: legacy-dr, namespace: legacy}\nspec:\n  host: cron\n  trafficPolicy:\n    tls:\n      mode: istio_mutual\n',
    );
    const { code, stderr } = await runCli(['check', '--no-istioctl', '-f', join(dir, 'dr.yaml')], {
      cwd: dir,
    });
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(
      /^mtls-doctor: dr\.yaml:8: DestinationRule legacy\/legacy-dr: spec\.trafficPolicy\.tls\.mode: Invalid option/,
    );
  });
});
