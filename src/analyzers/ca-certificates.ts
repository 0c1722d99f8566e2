// Field guide error 3, from what manifests (or the cluster's ConfigMaps and Secrets) show: the CA secret
// (plug-in `cacerts` or self-signed `istio-ca-secret`) and the `istio-ca-root-cert` ConfigMap that every
// namespace's proxies trust. Expired/expiring (an expired old root left beside the root the CA signs
// under, after a rotation, only warns), a CA cert not chaining to its root, a namespace without the root
// the CA signs under, unreadable PEM, and injected namespaces without the root ConfigMap.

import { caSecretChains, type ParsedSource, signingAnchors, validAnchorBeside } from '../certs/ca-signing.js';
import {
  type CertificateInfo,
  CertificateParseError,
  chainVerifies,
  daysBetween,
  parsePemBundle,
} from '../certs/x509.js';
import {
  type RemediationPlan,
  restartIstiodThenWorkloads,
  rotateCaThenRestart,
} from '../remediation/plans.js';
import type { CertificateSource, MeshSnapshot } from '../snapshot/types.js';
import { type AnalysisContext, type Analyzer, type Finding, finding } from './finding.js';

export const caCertificates: Analyzer = {
  name: 'CaCertificates',
  codes: [
    'certificate-expired',
    'certificate-expiring',
    'certificate-untrusted',
    'ca-root-mismatch',
    'certificate-invalid',
    'certificate-missing',
  ],
  analyze(mesh, context) {
    const findings: Finding[] = [];
    const parsed: ParsedSource[] = [];
    for (const source of mesh.snapshot.certificates) {
      if (source.role === 'workload-chain') continue;
      try {
        parsed.push({ source, certs: parsePemBundle(source.pem) });
      } catch (error) {
        if (!(error instanceof CertificateParseError)) throw error;
        findings.push(
          finding({
            code: 'certificate-invalid',
            message: `${describeSource(source)} holds no readable certificate: ${error.message}. Proxies that need it cannot verify peers.`,
            fix: 'Replace the PEM with a valid certificate (check base64 encoding and the BEGIN/END lines).',
            resource: source.owner,
            location: source.location,
            path: `data.${source.key}`,
          }),
        );
      }
    }
    const anchors = signingAnchors(parsed, mesh.snapshot.certificates);
    for (const p of [...parsed, ...chainCaCertificates(mesh.snapshot.certificates, parsed)])
      findings.push(...validityFindings(p, context, anchors, () => caRenewal(mesh.snapshot, p.source)));
    findings.push(...trustFindings(parsed, mesh.snapshot));
    findings.push(...missingRootFindings(mesh.snapshot));
    return findings;
  },
};

/**
 * Without the CA Secret (an opt-in: it holds the CA key) the CA's own certificates still travel in the
 * proxies' chains (leaf, then intermediates and root): each one not seen elsewhere is checked once for
 * expiry, so a plug-in CA's intermediate about to expire is not missed.
 */
function chainCaCertificates(
  sources: readonly CertificateSource[],
  parsed: readonly ParsedSource[],
): ParsedSource[] {
  if (parsed.some((p) => p.source.role === 'ca-cert' || p.source.role === 'ca-root')) return [];
  const seen = new Set(parsed.flatMap((p) => p.certs.map((c) => c.fingerprint256)));
  const found: ParsedSource[] = [];
  for (const source of sources) {
    if (source.role !== 'workload-chain' || !source.pem) continue;
    let certs: CertificateInfo[];
    try {
      certs = parsePemBundle(source.pem).slice(1);
    } catch {
      continue; // the workload analyzer reports an unreadable chain
    }
    const fresh = certs.filter((c) => c.isCa && !seen.has(c.fingerprint256));
    for (const c of fresh) seen.add(c.fingerprint256);
    if (fresh.length > 0) found.push({ source: { ...source, role: 'ca-chain' }, certs: fresh });
  }
  return found;
}

function describeSource(source: CertificateSource): string {
  if (source.owner.kind === 'Pod')
    return `The CA chain sent by pod ${source.owner.namespace}/${source.owner.name}`;
  const owner = `${source.owner.kind} ${source.owner.namespace}/${source.owner.name}`;
  return `${owner} (${source.key})`;
}

/**
 * What renews a certificate of this source: for the namespace's root copy, istiod rewrites it and the
 * namespace's workloads restart; for the CA's own certificates, the CA must be replaced first, then
 * every namespace with sidecars restarts (the Secret's namespace is Istio's, not the workloads').
 */
function caRenewal(snapshot: MeshSnapshot, source: CertificateSource): RemediationPlan {
  if (source.role === 'namespace-root' || source.role === 'workload-root')
    return restartIstiodThenWorkloads(source.owner.namespace ?? 'default');
  const caSecret = source.owner.kind === 'Secret' ? source.owner : undefined;
  const istioNamespace = caSecret?.namespace ?? snapshot.meshConfig.rootNamespace;
  const sidecarNamespaces = new Set(
    snapshot.workloads.filter((w) => w.proxy === 'sidecar').map((w) => w.meta.namespace),
  );
  sidecarNamespaces.delete(istioNamespace);
  return rotateCaThenRestart(istioNamespace, caSecret?.name ?? 'cacerts', [...sidecarNamespaces]);
}

function validityFindings(
  { source, certs }: ParsedSource,
  context: AnalysisContext,
  anchors: readonly CertificateInfo[],
  // Made only for a certificate that needs renewing: most sources are valid.
  renewal: () => RemediationPlan,
): Finding[] {
  const findings: Finding[] = [];
  for (const cert of certs) {
    const left = daysBetween(context.now, cert.notAfter);
    const successor =
      left <= 0 ? validAnchorBeside(cert, { source, certs }, anchors, context.now) : undefined;
    const fromProxy = source.owner.kind === 'Pod';
    const base = {
      resource: source.owner,
      location: source.location,
      path: fromProxy ? undefined : `data.${source.key}`,
    };
    const what = `${describeSource(source)}: certificate "${cert.subject}" (serial ${cert.serialNumber})`;
    if (cert.notBefore > context.now) {
      findings.push(
        finding({
          ...base,
          code: 'certificate-expired',
          message: `${what} is not valid until ${cert.notBefore.toISOString()}: handshakes that rely on it fail with "certificate is not yet valid".`,
          why: ['Check the clock of the machine that issued it, or the CA rotation that installed it early.'],
          fix: 'Install a certificate that is valid now, then restart istiod and the workloads.',
          remediations: [renewal()],
        }),
      );
    } else if (successor) {
      findings.push(
        finding({
          ...base,
          code: 'certificate-expired',
          severity: 'warning',
          message: `${what} expired on ${cert.notAfter.toISOString()} (${Math.floor(-left)} days ago) and is left in the bundle next to the root the CA signs under, "${successor.subject}" (serial ${successor.serialNumber}, valid until ${successor.notAfter.toISOString()}): certificates from the current CA still verify; only one still chained to the old root (a peer not re-issued since, another cluster) is rejected.`,
          why: [
            roleWords(source.role),
            'A proxy skips an expired root as long as the peer chain verifies to another root of its bundle.',
          ],
          fix:
            source.role === 'ca-root'
              ? 'Remove the expired root from root-cert.pem in this Secret, then restart istiod so it rewrites istio-ca-root-cert in every namespace.'
              : "Remove the expired root from the CA's root-cert.pem (plug-in CA: Secret cacerts); istiod then rewrites istio-ca-root-cert in every namespace and the proxies pick it up.",
        }),
      );
    } else if (left <= 0) {
      findings.push(
        finding({
          ...base,
          code: 'certificate-expired',
          message: `${what} expired on ${cert.notAfter.toISOString()} (${Math.floor(-left)} days ago): proxies reject certificates chained to it ("x509: certificate has expired", CERTIFICATE_VERIFY_FAILED).`,
          why: [roleWords(source.role)],
          fix:
            source.role === 'namespace-root'
              ? 'Restart istiod so it rewrites istio-ca-root-cert with the current root, then restart the workloads in this namespace.'
              : 'Rotate the CA (a new plug-in cacerts secret, or let istiod re-create its self-signed root), then restart istiod and the workloads to re-issue certificates.',
          remediations: [renewal()],
        }),
      );
    } else if (left <= context.caExpiryWarningDays) {
      findings.push(
        finding({
          ...base,
          code: 'certificate-expiring',
          message: `${what} expires on ${cert.notAfter.toISOString()}, in ${left.toFixed(1)} days: after that every mTLS handshake that relies on it fails.`,
          why: [
            roleWords(source.role),
            `The warning window for CA and root certificates is ${context.caExpiryWarningDays} days.`,
          ],
          fix: 'Rotate the CA before it expires (plug-in CA: replace cacerts with an overlapping root), then restart istiod and the workloads.',
          remediations: [renewal()],
        }),
      );
    }
  }
  return findings;
}

function roleWords(role: CertificateSource['role']): string {
  switch (role) {
    case 'namespace-root':
      return 'This is the root that proxies in the namespace trust (istio-ca-root-cert).';
    case 'ca-root':
      return "This is the mesh's root certificate.";
    case 'ca-cert':
      return 'This is the signing certificate istiod issues workload certificates with.';
    default:
      return 'This is part of the CA chain istiod sends with workload certificates.';
  }
}

function trustFindings(parsed: readonly ParsedSource[], snapshot: MeshSnapshot): Finding[] {
  const findings: Finding[] = [];
  const caRoots = parsed.filter((p) => p.source.role === 'ca-root');
  const roots = caRoots.flatMap((p) => p.certs);
  if (roots.length === 0) return findings;
  const caRootSource = describeSource(caRoots[0]?.source as CertificateSource);
  const signing = caSecretChains(parsed);
  for (const { signer, chain } of signing) {
    if (chainVerifies(chain, roots)) continue;
    findings.push(
      finding({
        code: 'certificate-untrusted',
        message: `${describeSource(signer.source)} does not chain to the root in ${caRootSource}: workload certificates it signs are rejected by peers ("x509: certificate signed by unknown authority").`,
        why: [
          `Signing certificate issuer: "${signer.certs[0]?.issuer}"; root subject: "${roots[0]?.subject}".`,
        ],
        fix: 'Put the matching root-cert.pem (and cert-chain.pem) in the CA secret, then restart istiod and the workloads.',
        resource: signer.source.owner,
        location: signer.source.location,
        path: `data.${signer.source.key}`,
        remediations: [caRenewal(snapshot, signer.source)],
      }),
    );
  }
  // A namespace must trust a root the CA's signing chain verifies to: proxies verify each peer's
  // certificate with that chain against their istio-ca-root-cert. Sharing some other root of the CA's
  // bundle (the old one, mid-rotation) is not enough. Without a signing certificate that chains to the
  // CA's roots (self-signed CA, or untrusted, reported above) any of the CA's roots will do.
  const chains = signing.map((s) => s.chain).filter((chain) => chainVerifies(chain, roots));
  const anchors = roots.filter((root) => chains.some((chain) => chainVerifies(chain, [root])));
  const rootPrints = new Set(roots.map((r) => r.fingerprint256));
  for (const p of parsed.filter((x) => x.source.role === 'namespace-root')) {
    const trusts =
      chains.length > 0
        ? chains.some((chain) => chainVerifies(chain, p.certs))
        : p.certs.some((c) => rootPrints.has(c.fingerprint256));
    if (trusts) continue;
    const ns = p.source.owner.namespace ?? 'default';
    const caRoot = anchors.length > 0 ? 'the root the CA signs under' : "the CA's root";
    const staleRotation = p.certs.some((c) => rootPrints.has(c.fingerprint256));
    findings.push(
      finding({
        code: 'ca-root-mismatch',
        message: `The mesh root that proxies in ${ns} trust (${describeSource(p.source)}) is not ${caRoot} (${caRootSource}): their mTLS handshakes with workloads signed by the current CA fail ("x509: certificate signed by unknown authority").`,
        why: [
          `Namespace root${p.certs.length > 1 ? 's' : ''}: ${describeRoots(p.certs)}; ${caRoot}: ${describeRoots(anchors.length > 0 ? anchors : roots.slice(0, 1))}.`,
          ...(staleRotation
            ? [
                "The namespace holds only another root of the CA's bundle: a root rotation that istiod has not yet written into this namespace.",
              ]
            : []),
          'istiod writes istio-ca-root-cert into every namespace; a stale copy means istiod has not synced it (or it was overwritten).',
        ],
        fix: 'Restart istiod so it rewrites istio-ca-root-cert in every namespace, then restart the workloads in this namespace.',
        resource: p.source.owner,
        location: p.source.location,
        path: `data.${p.source.key}`,
        remediations: [restartIstiodThenWorkloads(ns)],
      }),
    );
  }
  return findings;
}

function describeRoots(certs: readonly CertificateInfo[]): string {
  return certs.map((c) => `"${c.subject}" (${c.fingerprint256.slice(0, 23)}…)`).join(', ');
}

function missingRootFindings(snapshot: {
  collectedRootCertConfigMaps: boolean;
  certificates: readonly CertificateSource[];
  workloads: readonly { proxy: string; meta: { namespace: string } }[];
}): Finding[] {
  if (!snapshot.collectedRootCertConfigMaps) return [];
  // Present but unreadable is certificate-invalid (above), not also missing.
  const withRoot = new Set(
    snapshot.certificates.filter((c) => c.role === 'namespace-root').map((c) => c.owner.namespace),
  );
  const needing = new Set(
    snapshot.workloads.filter((w) => w.proxy === 'sidecar').map((w) => w.meta.namespace),
  );
  return [...needing]
    .filter((ns) => !withRoot.has(ns))
    .sort()
    .map((ns) =>
      finding({
        code: 'certificate-missing',
        message: `Namespace ${ns} has sidecar workloads but no istio-ca-root-cert ConfigMap: new pods cannot start their proxy (it waits for the root certificate) and existing ones cannot verify peers after a restart.`,
        why: [
          'istiod writes the ConfigMap into every namespace; its absence means istiod cannot reach the namespace or lacks RBAC.',
        ],
        fix: 'Check istiod logs and RBAC, then restart istiod so it writes the ConfigMap.',
        resource: { kind: 'ConfigMap', namespace: ns, name: 'istio-ca-root-cert' },
        remediations: [restartIstiodThenWorkloads(ns)],
      }),
    );
}
