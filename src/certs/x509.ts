// Parses and describes certificates with Node's X509Certificate, which (unlike node-forge) reads EC keys
// too: Istio issues ECDSA workload certificates when configured, and plug-in CAs are often EC.
// node-forge only mints the tests' RSA certificates; production parsing stays here on purpose.
import { X509Certificate } from 'node:crypto';

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly fingerprint256: string;
  readonly spiffeIds: readonly string[];
  readonly isCa: boolean;
  readonly x509: X509Certificate;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export class CertificateParseError extends Error {}

/** Every certificate in a PEM bundle, in order. Throws CertificateParseError with the block number. */
export function parsePemBundle(pem: string): CertificateInfo[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new CertificateParseError('no PEM certificate block found');
  return blocks.map((block, index) => {
    try {
      return describe(new X509Certificate(block));
    } catch (error) {
      throw new CertificateParseError(
        `certificate ${index + 1} of ${blocks.length} cannot be parsed: ${(error as Error).message}`,
      );
    }
  });
}

function describe(x509: X509Certificate): CertificateInfo {
  return {
    // Node leaves `subject` undefined when the Subject is empty, and Istio issues every workload
    // certificate so (its identity is only in the critical SAN): an empty name is normal, not an error.
    subject: oneLine(x509.subject as string | undefined),
    issuer: oneLine(x509.issuer as string | undefined),
    serialNumber: x509.serialNumber,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
    spiffeIds: (x509.subjectAltName ?? '')
      .split(/,\s*/)
      .filter((entry) => entry.startsWith('URI:spiffe://'))
      .map((entry) => entry.slice('URI:'.length)),
    isCa: x509.ca,
    x509,
  };
}

function oneLine(dn: string | undefined): string {
  return (dn ?? '').split('\n').filter(Boolean).join(', ') || '(empty)';
}

export function daysBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 86_400_000;
}

/** Does `leafChain` (leaf first, intermediates after) verify up to one of `roots`? */
export function chainVerifies(
  leafChain: readonly CertificateInfo[],
  roots: readonly CertificateInfo[],
): boolean {
  if (leafChain.length === 0) return false;
  const pool = [...leafChain.slice(1), ...roots];
  let current = leafChain[0] as CertificateInfo;
  for (let depth = 0; depth < 10; depth++) {
    if (roots.some((r) => r.fingerprint256 === current.fingerprint256)) return true;
    const issuer = pool.find(
      (candidate) =>
        current.x509.checkIssued(candidate.x509) && current.x509.verify(candidate.x509.publicKey),
    );
    if (!issuer) return false;
    if (issuer === current) return roots.some((r) => r.fingerprint256 === issuer.fingerprint256);
    current = issuer;
  }
  return false;
}
