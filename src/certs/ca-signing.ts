// What the mesh CA signs with. A root bundle (cacerts root-cert.pem, istio-ca-root-cert) may hold several
// roots, new and old during a rotation, and only the one(s) the signing certificate chains to make the
// certificates istiod issues verify: a namespace that trusts just another root of the bundle rejects
// them, and an expired old root next to a valid anchor breaks nothing.
import type { CertificateSource } from '../snapshot/types.js';
import { type CertificateInfo, chainVerifies, parsePemBundle } from './x509.js';

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

/** The CA's root-cert.pem, a namespace's istio-ca-root-cert, a proxy's ROOTCA. */
const ROOT_BUNDLES: ReadonlySet<CertificateSource['role']> = new Set([
  'ca-root',
  'namespace-root',
  'workload-root',
]);

/**
 * The roots of the CA's, the namespaces' and the proxies' bundles that the CA signs under: those its
 * signing chain verifies to, from the CA Secret when it was read, else from the proxies' chains (which
 * carry the CA's certificates). Empty when neither shows it.
 */
export function signingAnchors(
  parsed: readonly ParsedSource[],
  sources: readonly CertificateSource[],
): CertificateInfo[] {
  // Every namespace holds a copy of the same roots: each distinct root is verified once.
  const roots = new Map<string, CertificateInfo>();
  for (const p of parsed)
    if (ROOT_BUNDLES.has(p.source.role)) for (const c of p.certs) roots.set(c.fingerprint256, c);
  const fromSecret = caSecretChains(parsed).map((s) => s.chain);
  const chains = fromSecret.length > 0 ? fromSecret : proxyChains(sources);
  return [...roots.values()].filter((root) => chains.some((chain) => chainVerifies(chain, [root])));
}

/**
 * For an expired root in a root bundle: another root of that bundle, valid now, that the CA signs under
 * (a rotation's new root), which makes the expired one a harmless leftover.
 */
export function validAnchorBeside(
  expired: CertificateInfo,
  bundle: ParsedSource,
  anchors: readonly CertificateInfo[],
  now: Date,
): CertificateInfo | undefined {
  if (!ROOT_BUNDLES.has(bundle.source.role)) return undefined;
  const isAnchor = (c: CertificateInfo) => anchors.some((a) => a.fingerprint256 === c.fingerprint256);
  if (isAnchor(expired)) return undefined;
  return bundle.certs.find((c) => isAnchor(c) && c.notBefore <= now && c.notAfter > now);
}

function proxyChains(sources: readonly CertificateSource[]): CertificateInfo[][] {
  return sources.flatMap((s) => {
    if (s.role !== 'workload-chain' || !s.pem) return [];
    try {
      return [parsePemBundle(s.pem)];
    } catch {
      return []; // the workload analyzer reports an unreadable chain
    }
  });
}
