import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { findingsFromIstioctl } from '../../src/analyzers/istioctl-messages.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { daysFrom, issueCertificate } from '../helpers/certs.js';
import { fakeIstioctl, secretDump } from '../helpers/fake-istioctl.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { snapshotOf } from '../helpers/mesh.js';
import { runCli } from '../helpers/run-cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const NOW = new Date('2026-11-29T12:00:00Z');
const ANALYZE = readFileSync(new URL('../fixtures/istioctl/analyze.json', import.meta.url), 'utf8');

const run = (...argv: string[]) => runCli(argv, { cwd: ROOT, now: NOW });

describe('istioctl analyze cross-check', () => {
  it("merges istioctl's messages as istioctl-analyze findings with their IST code", async () => {
    const istioctl = fakeIstioctl({ mode: 'answer', analyze: ANALYZE });
    const { stdout } = await run(
      'check',
      '-f',
      `${ROOT}examples/mesh`,
      '-o',
      'json',
      '--istioctl',
      istioctl.path,
    );
    const result = JSON.parse(stdout);
    const ist = result.findings.filter((f: { code: string }) => f.code === 'istioctl-analyze');
    expect(ist.map((f: { message: string }) => f.message.slice(0, 9)).sort()).toEqual([
      '[IST0102]',
      '[IST0103]',
      '[IST0128]',
    ]);
    const dr = ist.find((f: { message: string }) => f.message.startsWith('[IST0128]'));
    expect(dr).toMatchObject({
      severity: 'warning',
      resource: { kind: 'DestinationRule', namespace: 'default', name: 'db-tls' },
      location: { file: 'dr.yaml', line: 9 },
    });
    expect(result.gaps).toEqual([]);
    expect(istioctl.calls()[0]).toEqual([
      'analyze',
      '-o',
      'json',
      '--use-kube=false',
      `${ROOT}examples/mesh`,
      '--all-namespaces',
    ]);
  });

  it('passes paths as single arguments, never through a shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-args-'));
    const odd = join(dir, 'a;b $(touch pwned) `x`.yaml');
    writeFileSync(odd, readFileSync(`${ROOT}examples/mesh/inventory/workloads.yaml`));
    const istioctl = fakeIstioctl({ mode: 'answer', analyze: '[]' });
    await run('check', '-f', odd, '--istioctl', istioctl.path);
    expect(istioctl.calls()[0]).toContain(odd);
  });

  it('a hanging istioctl times out into a cross-check gap; the check itself still completes', async () => {
    const istioctl = fakeIstioctl({ mode: 'hang' });
    const { code, stdout } = await run(
      'check',
      '-f',
      `${ROOT}examples/mesh/shop/workloads.yaml`,
      '--istioctl',
      istioctl.path,
      '--istioctl-timeout',
      '500',
    );
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('Not cross-checked (1)');
    expect(stdout).toContain('istioctl analyze: timed out after 500 ms');
    expect(stdout).toContain('not cross-checked: istioctl analyze');
  });

  it('a failing istioctl is a gap that quotes what it said', async () => {
    const istioctl = fakeIstioctl({ mode: 'fail' });
    const { stdout } = await run(
      'check',
      '-f',
      `${ROOT}examples/mesh/shop/workloads.yaml`,
      '--istioctl',
      istioctl.path,
      '-o',
      'json',
    );
    expect(JSON.parse(stdout).gaps).toEqual([
      {
        source: 'istioctl analyze',
        reason: expect.stringMatching(/^exited with code 1: Error: failed to get config dump/),
        optional: true,
      },
    ]);
  });

  it('a missing --istioctl binary is a usage error', async () => {
    const { code, stderr } = await run(
      'check',
      '-f',
      `${ROOT}examples/mesh`,
      '--istioctl',
      '/nonexistent/istioctl',
    );
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('not an executable file');
  });

  it('does not repeat what our own findings already say (IST0103 on a pod of a workload we flagged)', () => {
    const yaml = `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: cart-7d9c-abcde\n  namespace: shop\n  labels: {app: cart, pod-template-hash: 7d9c}\n  ownerReferences: [{kind: ReplicaSet, name: cart-7d9c}]\nspec:\n  containers: [{name: cart, image: x}]\n`;
    const ours = diagnose(snapshotOf(yaml)).findings;
    expect(ours.map((f) => f.code)).toContain('sidecar-missing');
    const merged = findingsFromIstioctl(JSON.parse(ANALYZE), ours);
    expect(merged.map((f) => f.message.slice(1, 8)).sort()).toEqual(['IST0102', 'IST0128']);
  });
});

describe('workload certificates (certs, and check on a live cluster)', () => {
  let fake: FakeKubeApi;
  afterEach(async () => fake?.stop());

  const root = issueCertificate({
    commonName: 'root',
    isCa: true,
    notBefore: daysFrom(NOW, -100),
    notAfter: daysFrom(NOW, 3000),
  });
  const otherRoot = issueCertificate({
    commonName: 'root',
    isCa: true,
    notBefore: daysFrom(NOW, -100),
    notAfter: daysFrom(NOW, 3000),
  });
  const leaf = (issuer: typeof root, spiffeId: string, notAfter: Date, notBefore = daysFrom(NOW, -0.5)) =>
    issueCertificate({ commonName: '', issuer, spiffeId, notBefore, notAfter }).pem;

  function pod(name: string, ns: string, sa: string) {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { app: name } },
      spec: { serviceAccountName: sa, containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
      status: { phase: 'Running' },
    };
  }

  async function cluster() {
    fake = new FakeKubeApi().add(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
      },
      pod('healthy', 'shop', 'healthy'),
      pod('expired', 'shop', 'expired'),
      pod('foreign', 'shop', 'foreign'),
      pod('renamed', 'shop', 'renamed'),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'istio-ca-secret', namespace: 'istio-system' },
        data: { 'ca-cert.pem': Buffer.from(root.pem).toString('base64') },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio-ca-root-cert', namespace: 'shop' },
        data: { 'root-cert.pem': root.pem },
      },
    );
    const server = await fake.start();
    const dir = mkdtempSync(join(tmpdir(), 'kube-'));
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'config');
    writeFileSync(
      config,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`,
    );
    const td = 'spiffe://cluster.local/ns/shop/sa';
    const istioctl = fakeIstioctl({
      mode: 'answer',
      analyze: '[]',
      secrets: {
        'healthy.shop': secretDump(leaf(root, `${td}/healthy`, daysFrom(NOW, 0.5)) + root.pem, root.pem),
        'expired.shop': secretDump(
          leaf(root, `${td}/expired`, daysFrom(NOW, -0.1), daysFrom(NOW, -1.1)) + root.pem,
          root.pem,
        ),
        'foreign.shop': secretDump(
          leaf(otherRoot, `${td}/foreign`, daysFrom(NOW, 0.5)) + otherRoot.pem,
          otherRoot.pem,
        ),
        'renamed.shop': secretDump(
          leaf(root, 'spiffe://old.example.com/ns/shop/sa/renamed', daysFrom(NOW, 0.5)) + root.pem,
          root.pem,
        ),
      },
    });
    return { config, istioctl };
  }

  it('an expired certificate, a chain from another root and a wrong trust domain each yield their code', async () => {
    const { config, istioctl } = await cluster();
    const { stdout } = await run(
      'check',
      '--kubeconfig',
      config,
      '-n',
      'shop',
      '-o',
      'json',
      '--istioctl',
      istioctl.path,
    );
    const codes = JSON.parse(stdout)
      .findings.filter((f: { code: string }) => f.code.startsWith('certificate'))
      .map((f: { code: string; resource: { name: string } }) => `${f.code}@${f.resource.name}`)
      .sort();
    expect(codes).toEqual([
      'certificate-expired@expired',
      'certificate-identity-mismatch@renamed',
      'certificate-untrusted@foreign',
    ]);
  });

  it('certs -o json shows subject, SPIFFE ID, issuer, serial, validity and days left', async () => {
    const { config, istioctl } = await cluster();
    const { stdout } = await run(
      'certs',
      '--kubeconfig',
      config,
      '-n',
      'shop',
      '--pod',
      'healthy',
      '-o',
      'json',
      '--istioctl',
      istioctl.path,
    );
    const result = JSON.parse(stdout);
    const chain = result.certificates.filter(
      (c: { owner: { name: string }; key: string }) => c.owner.name === 'healthy' && c.key === 'default',
    );
    expect(chain[0]).toMatchObject({
      role: 'workload-chain',
      spiffeIds: ['spiffe://cluster.local/ns/shop/sa/healthy'],
      issuer: 'CN=root, O=cluster.local',
      daysLeft: 0.5,
      fingerprint256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
    });
    // The CA Secret holds the CA key: not read unless asked; the namespace root stands in for it.
    expect(result.certificates.map((c: { role: string }) => c.role)).not.toContain('ca-root');
    expect(result.certificates.map((c: { role: string }) => c.role)).toContain('namespace-root');
    expect(fake.requests.some((r) => r.path.includes('/secrets'))).toBe(false);
    expect(result.findings).toEqual([]);
  });

  it('reads a certificate with an empty Subject, as Istio issues every workload certificate', async () => {
    const { config } = await cluster();
    const istioLeaf = issueCertificate({
      issuer: root,
      spiffeId: 'spiffe://cluster.local/ns/shop/sa/healthy',
      notBefore: daysFrom(NOW, -0.5),
      notAfter: daysFrom(NOW, 0.5),
    }).pem;
    // Really no Subject (node-forge with CN '' would still write a CN attribute).
    expect(new X509Certificate(istioLeaf).subject ?? '').toBe('');
    const istioctl = fakeIstioctl({
      mode: 'answer',
      analyze: '[]',
      secrets: { 'healthy.shop': secretDump(istioLeaf + root.pem, root.pem) },
    });
    const certs = await run(
      'certs',
      ...[
        '--kubeconfig',
        config,
        '-n',
        'shop',
        '--pod',
        'healthy',
        '-o',
        'json',
        '--istioctl',
        istioctl.path,
      ],
    );
    const result = JSON.parse(certs.stdout);
    expect(result.findings).toEqual([]);
    expect(result.certificates.find((c: { key: string }) => c.key === 'default')).toMatchObject({
      subject: '(empty)',
      spiffeIds: ['spiffe://cluster.local/ns/shop/sa/healthy'],
      issuer: 'CN=root, O=cluster.local',
    });
    const check = await run(
      'check',
      ...['--kubeconfig', config, '-n', 'shop', '-o', 'json', '--istioctl', istioctl.path],
    );
    const codes = JSON.parse(check.stdout).findings.map((f: { code: string }) => f.code);
    expect(codes).not.toContain('certificate-invalid');
  }, 30_000);

  it('--read-ca-secret reads the CA Secret (and says why it is opt-in in --help)', async () => {
    const { config, istioctl } = await cluster();
    const { stdout } = await run(
      'certs',
      '--kubeconfig',
      config,
      '-n',
      'shop',
      '-o',
      'json',
      '--istioctl',
      istioctl.path,
      '--read-ca-secret',
    );
    const roles = JSON.parse(stdout).certificates.map((c: { role: string }) => c.role);
    expect(roles).toContain('ca-root');
    expect(fake.requests.map((r) => r.path)).toContain(
      '/api/v1/namespaces/istio-system/secrets/istio-ca-secret',
    );
    const help = await run('certs', '--help');
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('RISK: they hold the CA private key (ca-key.pem)');
  });

  it('without the CA Secret, a proxy chain from another root is still untrusted (checked against istio-ca-root-cert)', async () => {
    const { config, istioctl } = await cluster();
    const { stdout } = await run(
      'check',
      '--kubeconfig',
      config,
      '-n',
      'shop',
      '-o',
      'json',
      '--istioctl',
      istioctl.path,
    );
    expect(fake.requests.some((r) => r.path.includes('/secrets'))).toBe(false);
    const untrusted = JSON.parse(stdout).findings.filter(
      (f: { code: string }) => f.code === 'certificate-untrusted',
    );
    expect(untrusted.map((f: { resource: { name: string } }) => f.resource.name)).toEqual(['foreign']);
  });
});
