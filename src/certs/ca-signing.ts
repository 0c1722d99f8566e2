// What the mesh CA signs with. A root bundle (cacerts root-cert.pem, istio-ca-root-cert) may hold several
// roots, new and old during a rotation, and only the one(s) the signing certificate chains to make the
// certificates istiod issues verify: a namespace that trusts just another root of the bundle rejects them.
import type { CertificateSource } from '../snapshot/types.js';
import type { CertificateInfo } from './x509.js';

export interface ParsedSource {
  readonly source: CertificateSource;
  readonly certs: readonly CertificateInfo[];
}

export interface SigningChain {
  /** The CA Secret's signing certificate (ca-cert.pem, tls.crt). */
  readonly signer: ParsedSource;
  /** It, followed by the rest of the Secret's cert-chain.pem: what istiod sends with every certificate. */
  readonly chain: readonly CertificateInfo[];
}

export function caSecretChains(parsed: readonly ParsedSource[]): SigningChain[] {
  return parsed
    .filter((p) => p.source.role === 'ca-cert')
    .map((signer) => {
      const chain = parsed.find(
        (x) =>
          x.source.role === 'ca-chain' &&
          x.source.owner.namespace === signer.source.owner.namespace &&
          x.source.owner.name === signer.source.owner.name,
      );
      return { signer, chain: [...signer.certs, ...(chain?.certs.slice(1) ?? [])] };
    });
}
