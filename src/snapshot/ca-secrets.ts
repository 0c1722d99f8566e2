// The CA Secrets istiod really signs with (istio/istio pilot/pkg/bootstrap/istio_ca.go): it reads them
// in its own namespace only, and uses `cacerts` (plug-in CA) whenever it exists; `istio-ca-secret`
// (self-signed) only without it. A leftover istio-ca-secret from before a plug-in CA, or a Secret named
// `cacerts` of another tool (cert-manager) elsewhere, signs nothing: taking their roots for the mesh's
// reports their expiry for nothing and lets a namespace that trusts only them pass as matching.
import { isIstioNamespace } from './proxy-status.js';
import type { CertificateSource } from './types.js';

export const CA_SECRET_NAMES = new Set(['cacerts', 'istio-ca-secret']);

/** `certificates` without the CA Secrets' material istiod does not use. */
export function caSecretsIstiodUses(
  certificates: readonly CertificateSource[],
  rootNamespace: string,
): CertificateSource[] {
  const fromIstio = (c: CertificateSource) =>
    c.owner.kind !== 'Secret' || isIstioNamespace(c.owner.namespace ?? '', rootNamespace);
  const kept = certificates.filter(fromIstio);
  const plugIn = kept.some((c) => c.owner.kind === 'Secret' && c.owner.name === 'cacerts');
  return plugIn
    ? kept.filter((c) => !(c.owner.kind === 'Secret' && c.owner.name === 'istio-ca-secret'))
    : kept;
}
