// Real X.509 certificates for tests, made with node-forge (RSA): roots, CA certs signed by a root,
// workload certs with SPIFFE URIs. Nothing here is a fixture frozen in time: validity is relative to `now`.
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

export interface Issued {
  readonly pem: string;
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

export interface CertOptions {
  /**
   * Omitted: an empty Subject, the shape of every workload certificate Istio issues (identity only in a
   * critical SAN). An empty string still writes a CN attribute.
   */
  readonly commonName?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa?: boolean;
  readonly issuer?: Issued;
  readonly spiffeId?: string;
  readonly organization?: string;
}

let serial = 1;

// Node generates the key natively (fast); node-forge builds and signs the certificate.
function newKeyPair(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
  };
}

export function issueCertificate(options: CertOptions): Issued {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(4, '0');
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = options.notAfter;
  const subject =
    options.commonName === undefined
      ? []
      : [
          { name: 'commonName', value: options.commonName },
          { name: 'organizationName', value: options.organization ?? 'cluster.local' },
        ];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [{ name: 'basicConstraints', cA: !!options.isCa, critical: true }];
  if (options.isCa) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
  if (options.spiffeId)
    extensions.push({
      name: 'subjectAltName',
      // RFC 5280: the SAN is critical when the Subject is empty (Istio marks it so).
      critical: subject.length === 0,
      altNames: [{ type: 6, value: options.spiffeId }],
    });
  cert.setExtensions(extensions);
  cert.sign(options.issuer?.key ?? keys.privateKey, forge.md.sha256.create());
  return { pem: forge.pki.certificateToPem(cert), cert, key: keys.privateKey };
}

export function daysFrom(now: Date, days: number): Date {
  return new Date(now.getTime() + days * 86_400_000);
}
