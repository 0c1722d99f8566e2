// Field guide error 3 from the CA material manifests show, with real certificates generated per test.
import { describe, expect, it } from 'vitest';
import { caCertificates } from '../../src/analyzers/ca-certificates.js';
import { diagnose } from '../../src/engine/diagnose.js';
import type { CertificateSource } from '../../src/snapshot/types.js';
import { daysFrom, issueCertificate } from '../helpers/certs.js';
import { app, namespace, snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const b64 = (s: string) => Buffer.from(s).toString('base64');

function cacerts(data: Record<string, string>): string {
  const entries = Object.entries(data)
    .map(([k, v]) => `  ${k}: ${b64(v)}`)
    .join('\n');
  return `---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cacerts\n  namespace: istio-system\ndata:\n${entries}\n`;
}

function rootConfigMap(ns: string, pem: string): string {
  const body = pem
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-ca-root-cert\n  namespace: ${ns}\ndata:\n  root-cert.pem: |\n${body}\n`;
}

function check(yaml: string) {
  return diagnose(snapshotOf(yaml), { now: NOW }).findings.filter(
    (f) => f.code.includes('cert') || f.code === 'ca-root-mismatch',
  );
}

const root = issueCertificate({
  commonName: 'root',
  isCa: true,
  notBefore: daysFrom(NOW, -100),
  notAfter: daysFrom(NOW, 3000),
});

describe('CA certificates', () => {
  it('a healthy plug-in CA and matching namespace roots give no finding', () => {
    const ca = issueCertificate({
      commonName: 'ca',
      isCa: true,
      issuer: root,
      notBefore: daysFrom(NOW, -10),
      notAfter: daysFrom(NOW, 300),
    });
    expect(
      check(cacerts({ 'root-cert.pem': root.pem, 'ca-cert.pem': ca.pem }) + rootConfigMap('shop', root.pem)),
    ).toEqual([]);
  });

  it('an expired signing certificate is certificate-expired; one expiring within 7 days is certificate-expiring', () => {
    const expired = issueCertificate({
      commonName: 'old-ca',
      isCa: true,
      issuer: root,
      notBefore: daysFrom(NOW, -400),
      notAfter: daysFrom(NOW, -2),
    });
    const [f] = check(cacerts({ 'root-cert.pem': root.pem, 'ca-cert.pem': expired.pem }));
    expect(f?.code).toBe('certificate-expired');
    expect(f?.message).toMatch(/expired on .* \(2 days ago\)/);
    const soon = issueCertificate({
      commonName: 'soon',
      isCa: true,
      issuer: root,
      notBefore: daysFrom(NOW, -300),
      notAfter: daysFrom(NOW, 3),
    });
    const [g] = check(cacerts({ 'root-cert.pem': root.pem, 'ca-cert.pem': soon.pem }));
    expect(g?.code).toBe('certificate-expiring');
    expect(g?.message).toContain('in 3.0 days');
  });

  it('an expired CA certificate: replace the CA, then restart istiod and every namespace with sidecars (not the workloads of istio-system)', () => {
    const expired = issueCertificate({
      commonName: 'old-ca',
      isCa: true,
      issuer: root,
      notBefore: daysFrom(NOW, -400),
      notAfter: daysFrom(NOW, -5),
    });
    const apps = namespace('shop') + app('shop', 'cart') + namespace('pay') + app('pay', 'api');
    const [f] = check(apps + cacerts({ 'root-cert.pem': root.pem, 'ca-cert.pem': expired.pem }));
    expect(f?.code).toBe('certificate-expired');
    const [plan] = f?.remediations ?? [];
    expect(plan?.id).toBe('rotate-ca:Secret/istio-system/cacerts');
    // Chained: the workloads roll only once the new istiod (with the new CA) is rolled out.
    expect(plan?.kubectl.split(' && \\\n  ').flatMap((l) => l.split('\n'))).toEqual([
      expect.stringMatching(/^# First put the new CA into Secret istio-system\/cacerts /),
      'kubectl rollout restart deployment istiod -n istio-system',
      'kubectl rollout status deployment istiod -n istio-system --timeout=5m',
      'kubectl rollout restart deployment -n pay',
      'kubectl rollout restart deployment -n shop',
    ]);
    // A namespace's stale copy of the root is renewed by istiod: that namespace restarts, as before.
    const stale = rootConfigMap('shop', expired.pem);
    const copy = check(apps + stale).find((x) => x.resource.kind === 'ConfigMap');
    expect(copy?.remediations[0]?.id).toBe('restart-istiod:Deployment/istio-system/istiod:shop');
  });

  it('a not-yet-valid certificate is reported', () => {
    const future = issueCertificate({
      commonName: 'future',
      isCa: true,
      issuer: root,
      notBefore: daysFrom(NOW, 5),
      notAfter: daysFrom(NOW, 300),
    });
    expect(check(cacerts({ 'root-cert.pem': root.pem, 'ca-cert.pem': future.pem }))[0]?.message).toContain(
      'not valid until',
    );
  });

  it('a signing certificate from another root is certificate-untrusted', () => {
    const otherRoot = issueCertificate({
      commonName: 'root',
      isCa: true,
      notBefore: daysFrom(NOW, -100),
      notAfter: daysFrom(NOW, 3000),
    });
    const foreign = issueCertificate({
      commonName: 'ca',
      isCa: true,
      issuer: otherRoot,
      notBefore: daysFrom(NOW, -10),
      notAfter: daysFrom(NOW, 300),
    });
    const findings = check(cacerts({ 'root-cert.pem': root.pem, 'ca-cert.pem': foreign.pem }));
    expect(findings.map((f) => f.code)).toEqual(['certificate-untrusted']);
    expect(findings[0]?.message).toContain('signed by unknown authority');
  });

  it("a namespace root that is not the CA's root is ca-root-mismatch, located at the ConfigMap key", () => {
    const stale = issueCertificate({
      commonName: 'stale-root',
      isCa: true,
      notBefore: daysFrom(NOW, -100),
      notAfter: daysFrom(NOW, 300),
    });
    const findings = check(
      cacerts({ 'root-cert.pem': root.pem }) +
        rootConfigMap('payments', stale.pem) +
        rootConfigMap('shop', root.pem),
    );
    expect(findings.map((f) => [f.code, f.resource.namespace])).toEqual([['ca-root-mismatch', 'payments']]);
    expect(findings[0]?.path).toBe('data.root-cert.pem');
    expect(findings[0]?.location?.line).toBeGreaterThan(1);
  });

  it('mid-rotation, a namespace that trusts only the old root is ca-root-mismatch even though the CA bundle still lists it', () => {
    const oldRoot = issueCertificate({
      commonName: 'root-old',
      isCa: true,
      notBefore: daysFrom(NOW, -1000),
      notAfter: daysFrom(NOW, 60),
    });
    const newRoot = issueCertificate({
      commonName: 'root-new',
      isCa: true,
      notBefore: daysFrom(NOW, -1),
      notAfter: daysFrom(NOW, 3000),
    });
    const newCa = issueCertificate({
      commonName: 'ca-new',
      isCa: true,
      issuer: newRoot,
      notBefore: daysFrom(NOW, -1),
      notAfter: daysFrom(NOW, 700),
    });
    const findings = check(
      cacerts({
        'root-cert.pem': newRoot.pem + oldRoot.pem,
        'ca-cert.pem': newCa.pem,
        'cert-chain.pem': newCa.pem + newRoot.pem,
      }) +
        rootConfigMap('shop', oldRoot.pem) +
        rootConfigMap('pay', newRoot.pem + oldRoot.pem),
    );
    expect(findings.map((f) => [f.code, f.resource.namespace])).toEqual([['ca-root-mismatch', 'shop']]);
    expect(findings[0]?.message).toContain('the root the CA signs under');
    expect(findings[0]?.why.join(' ')).toContain('"CN=root-new, O=cluster.local"');
  });

  describe('the CA Secret istiod uses', () => {
    const secret = (name: string, namespace: string, data: Record<string, string>) =>
      cacerts(data)
        .replace('name: cacerts', `name: ${name}`)
        .replace('namespace: istio-system', `namespace: ${namespace}`);
    const ca = issueCertificate({
      commonName: 'ca',
      isCa: true,
      issuer: root,
      notBefore: daysFrom(NOW, -10),
      notAfter: daysFrom(NOW, 300),
    });
    const plugIn = { 'root-cert.pem': root.pem, 'ca-cert.pem': ca.pem, 'cert-chain.pem': ca.pem + root.pem };
    const selfSigned = (notAfter: Date) =>
      issueCertificate({ commonName: 'self', isCa: true, notBefore: daysFrom(NOW, -400), notAfter });

    it('with cacerts present, a leftover istio-ca-secret is ignored: its expiry is no finding', () => {
      const leftover = selfSigned(daysFrom(NOW, -2));
      const yaml =
        secret('cacerts', 'istio-system', plugIn) +
        secret('istio-ca-secret', 'istio-system', { 'ca-cert.pem': leftover.pem }) +
        rootConfigMap('shop', root.pem);
      expect(check(yaml)).toEqual([]);
      expect(snapshotOf(yaml).certificates.map((c) => c.owner.name)).not.toContain('istio-ca-secret');
    });

    it("with cacerts present, a namespace that trusts only the leftover istio-ca-secret's root is ca-root-mismatch", () => {
      const leftover = selfSigned(daysFrom(NOW, 300));
      const findings = check(
        secret('cacerts', 'istio-system', plugIn) +
          secret('istio-ca-secret', 'istio-system', { 'ca-cert.pem': leftover.pem }) +
          rootConfigMap('shop', leftover.pem),
      );
      expect(findings.map((f) => [f.code, f.resource.namespace])).toEqual([['ca-root-mismatch', 'shop']]);
    });

    it("a cacerts Secret outside Istio's namespace (cert-manager's) is not the mesh CA", () => {
      const other = selfSigned(daysFrom(NOW, 300));
      const yaml =
        secret('cacerts', 'cert-manager', { 'root-cert.pem': other.pem, 'ca-cert.pem': other.pem }) +
        rootConfigMap('shop', root.pem);
      expect(check(yaml)).toEqual([]);
      expect(snapshotOf(yaml).certificates.map((c) => c.role)).toEqual(['namespace-root']);
    });

    it('the CA Secrets in the configured root namespace are read', () => {
      const stale = selfSigned(daysFrom(NOW, 300));
      const mesh = `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-config\ndata:\n  mesh: |\n    rootNamespace: istio-config\n`;
      // The Secret comes before the mesh config that names its namespace.
      const findings = check(
        secret('cacerts', 'istio-config', plugIn) + mesh + rootConfigMap('shop', stale.pem),
      );
      expect(findings.map((f) => [f.code, f.resource.namespace])).toEqual([['ca-root-mismatch', 'shop']]);
    });
  });

  describe('an expired old root left in a rotation bundle', () => {
    const expiredRoot = issueCertificate({
      commonName: 'root-old',
      isCa: true,
      notBefore: daysFrom(NOW, -3000),
      notAfter: daysFrom(NOW, -1),
    });
    const signedBy = (issuer: typeof root) =>
      issueCertificate({
        commonName: 'ca',
        isCa: true,
        issuer,
        notBefore: daysFrom(NOW, -10),
        notAfter: daysFrom(NOW, 300),
      });

    it('is a warning naming it, when a valid root of the same bundle anchors the signing certificate', () => {
      const ca = signedBy(root);
      const findings = check(
        cacerts({
          'root-cert.pem': root.pem + expiredRoot.pem,
          'ca-cert.pem': ca.pem,
          'cert-chain.pem': ca.pem + root.pem,
        }) + rootConfigMap('shop', expiredRoot.pem + root.pem),
      );
      expect(findings.map((f) => [f.code, f.severity, f.resource.kind])).toEqual([
        ['certificate-expired', 'warning', 'Secret'],
        ['certificate-expired', 'warning', 'ConfigMap'],
      ]);
      for (const f of findings) {
        expect(f.message).toContain('"CN=root-old, O=cluster.local"');
        expect(f.message).toContain('"CN=root, O=cluster.local"');
        expect(f.fix).toContain('Remove the expired root');
      }
    });

    it("without the CA Secret, the proxies' chains show which root the CA signs under", () => {
      const ca = signedBy(root);
      const leaf = issueCertificate({
        issuer: ca,
        spiffeId: 'spiffe://cluster.local/ns/shop/sa/default',
        notBefore: daysFrom(NOW, -0.5),
        notAfter: daysFrom(NOW, 0.5),
      });
      const snapshot = snapshotOf(rootConfigMap('shop', expiredRoot.pem + root.pem));
      const proxyChain: CertificateSource = {
        role: 'workload-chain',
        owner: { kind: 'Pod', namespace: 'shop', name: 'web' },
        key: 'default',
        pem: leaf.pem + ca.pem + root.pem,
      };
      const withProxy = { ...snapshot, certificates: [...snapshot.certificates, proxyChain] };
      const findings = diagnose(withProxy, { now: NOW, analyzers: [caCertificates] }).findings;
      expect(findings.map((f) => [f.code, f.severity])).toEqual([['certificate-expired', 'warning']]);
      // Without that evidence nothing says the old root is unused: still an error.
      expect(check(rootConfigMap('shop', expiredRoot.pem + root.pem)).map((f) => f.severity)).toEqual([
        'error',
      ]);
    });

    it('stays an error when the signing certificate chains to the expired root', () => {
      const ca = signedBy(expiredRoot);
      const findings = check(cacerts({ 'root-cert.pem': root.pem + expiredRoot.pem, 'ca-cert.pem': ca.pem }));
      expect(findings.map((f) => [f.code, f.severity])).toEqual([['certificate-expired', 'error']]);
    });
  });

  it('unreadable PEM is certificate-invalid, not a crash', () => {
    const findings = check(
      cacerts({
        'root-cert.pem': '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n',
      }),
    );
    expect(findings.map((f) => f.code)).toEqual(['certificate-invalid']);
  });

  it("a self-signed istio-ca-secret's ca-cert.pem is the root", () => {
    const secret = `---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: istio-ca-secret\n  namespace: istio-system\ndata:\n  ca-cert.pem: ${b64(root.pem)}\n`;
    const other = issueCertificate({
      commonName: 'x',
      isCa: true,
      notBefore: daysFrom(NOW, -1),
      notAfter: daysFrom(NOW, 30),
    });
    expect(check(secret + rootConfigMap('a', root.pem))).toEqual([]);
    expect(check(secret + rootConfigMap('a', other.pem)).map((f) => f.code)).toEqual(['ca-root-mismatch']);
  });
});
