// Field guide error 3 on the proxies' own certificates, with real certificates shaped as Istio issues
// them (empty Subject, SPIFFE URI in a critical SAN).
import { describe, expect, it } from 'vitest';
import { workloadCertificates } from '../../src/analyzers/workload-certificates.js';
import { diagnose } from '../../src/engine/diagnose.js';
import type { CertificateSource, MeshSnapshot } from '../../src/snapshot/types.js';
import { daysFrom, issueCertificate } from '../helpers/certs.js';
import { snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-29T12:00:00Z');

const root = issueCertificate({
  commonName: 'root',
  isCa: true,
  notBefore: daysFrom(NOW, -100),
  notAfter: daysFrom(NOW, 3000),
});

function meshConfig(mesh: string): string {
  const body = mesh
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n${body}\n`;
}

/** The snapshot of `yaml` plus the chain pod shop/web (service account `default`) presents. */
function withProxyCertificate(yaml: string, spiffeId: string): MeshSnapshot {
  const snapshot = snapshotOf(yaml);
  const leaf = issueCertificate({
    issuer: root,
    spiffeId,
    notBefore: daysFrom(NOW, -0.5),
    notAfter: daysFrom(NOW, 0.5),
  });
  const owner = { kind: 'Pod', namespace: 'shop', name: 'web' };
  const chain: CertificateSource = {
    role: 'workload-chain',
    owner,
    key: 'default',
    pem: leaf.pem + root.pem,
    identity: { namespace: 'shop', serviceAccount: 'default' },
  };
  const roots: CertificateSource = { role: 'workload-root', owner, key: 'ROOTCA', pem: root.pem };
  return { ...snapshot, certificates: [...snapshot.certificates, chain, roots] };
}

function findings(snapshot: MeshSnapshot) {
  return diagnose(snapshot, { now: NOW, analyzers: [workloadCertificates] }).findings;
}

describe('workload certificate identity', () => {
  const migrated = meshConfig('trustDomain: new.example\ntrustDomainAliases: [cluster.local]');

  it('an identity in one of trustDomainAliases is accepted, as peers accept it', () => {
    const snapshot = withProxyCertificate(migrated, 'spiffe://cluster.local/ns/shop/sa/default');
    expect(snapshot.meshConfig.trustDomainAliases).toEqual(['cluster.local']);
    expect(findings(snapshot)).toEqual([]);
  });

  it('an identity in neither the trust domain nor an alias is certificate-identity-mismatch', () => {
    const [f, ...rest] = findings(
      withProxyCertificate(migrated, 'spiffe://other.example/ns/shop/sa/default'),
    );
    expect(rest).toEqual([]);
    expect(f?.code).toBe('certificate-identity-mismatch');
    expect(f?.message).toContain('not spiffe://new.example/ns/shop/sa/default');
    expect(f?.why.join(' ')).toContain(
      'trust domain other.example instead of new.example (aliases: cluster.local)',
    );
  });

  it('an alias still needs the namespace and service account of the pod', () => {
    const [f] = findings(withProxyCertificate(migrated, 'spiffe://cluster.local/ns/shop/sa/other'));
    expect(f?.code).toBe('certificate-identity-mismatch');
  });
});
