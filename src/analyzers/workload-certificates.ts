// Field guide error 3 on the proxies' live certificates: expired or not yet valid, close to expiry
// (Istio rotates at half life, so under a quarter left means rotation is failing), not chaining to the
// roots the mesh trusts, or a SPIFFE identity that does not match the pod (trust domain, namespace,
// service account).
import {
  type CertificateInfo,
  CertificateParseError,
  chainVerifies,
  daysBetween,
  parsePemBundle,
} from '../certs/x509.js';
import { restartIstiodThenWorkloads } from '../remediation/plans.js';
import type { CertificateSource } from '../snapshot/types.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const workloadCertificates: Analyzer = {
  name: 'WorkloadCertificates',
  codes: [
    'certificate-expired',
    'certificate-expiring',
    'certificate-untrusted',
    'certificate-identity-mismatch',
    'certificate-invalid',
    'certificate-missing',
  ],
  analyze(mesh, context) {
    const sources = mesh.snapshot.certificates;
    const findings: Finding[] = [];
    const meshRoots = parseAll(sources.filter((s) => s.role === 'ca-root'));
    for (const source of sources.filter((s) => s.role === 'workload-chain')) {
      const ns = source.owner.namespace ?? 'default';
      const base = { resource: source.owner, remediations: [restartIstiodThenWorkloads(ns)] };
      if (!source.pem) {
        findings.push(
          finding({
            ...base,
            code: 'certificate-missing',
            message: `The proxy of ${describe(source)} has no workload certificate (no \`default\` secret): it cannot take part in mTLS, so STRICT peers reject it and it cannot serve mTLS.`,
            why: [
              'The istio-agent requests the certificate from istiod at start; its absence means the CSR failed (istiod unreachable, CA error, or the root certificate ConfigMap missing).',
            ],
            fix: 'Check the istio-proxy logs for SDS/CSR errors and istiod health, then restart istiod and the pod.',
          }),
        );
        continue;
      }
      let chain: CertificateInfo[];
      try {
        chain = parsePemBundle(source.pem);
      } catch (error) {
        if (!(error instanceof CertificateParseError)) throw error;
        findings.push(
          finding({
            ...base,
            code: 'certificate-invalid',
            message: `The proxy of ${describe(source)} holds no readable certificate: ${error.message}.`,
            fix: 'Restart the pod so the agent requests a new certificate.',
          }),
        );
        continue;
      }
      const leaf = chain[0] as CertificateInfo;
      const left = daysBetween(context.now, leaf.notAfter);
      const lifetime = daysBetween(leaf.notBefore, leaf.notAfter);
      if (leaf.notBefore > context.now || left <= 0) {
        findings.push(
          finding({
            ...base,
            code: 'certificate-expired',
            message: `The certificate of ${describe(source)} ${left <= 0 ? `expired on ${leaf.notAfter.toISOString()}` : `is not valid until ${leaf.notBefore.toISOString()}`}: its peers reject every mTLS handshake ("certificate has expired", CERTIFICATE_VERIFY_FAILED).`,
            why: [
              'The istio-agent renews at half of the lifetime; an expired leaf means renewal from istiod has been failing (istiod down, CA broken, or the agent cannot reach it).',
            ],
            fix: 'Check istiod and its CA, then restart istiod and the workload to re-issue the certificate.',
          }),
        );
      } else if (lifetime > 0 && left / lifetime < 0.25) {
        findings.push(
          finding({
            ...base,
            severity: 'warning',
            code: 'certificate-expiring',
            message: `The certificate of ${describe(source)} has ${formatDuration(left)} of ${formatDuration(lifetime)} left: Istio renews at half life, so renewal is failing and mTLS breaks when it expires on ${leaf.notAfter.toISOString()}.`,
            why: ['Workload certificates are renewed at 50% of their lifetime (SECRET_GRACE_PERIOD_RATIO).'],
            fix: 'Check the istio-proxy logs for SDS/CSR errors and istiod health, then restart the workload.',
          }),
        );
      }
      const podRoots = parseAll(
        sources.filter(
          (s) => s.role === 'workload-root' && s.owner.name === source.owner.name && s.owner.namespace === ns,
        ),
      );
      // Without the CA Secret (an opt-in: it holds the CA key) the mesh root is the one istiod wrote
      // into the pod's namespace (istio-ca-root-cert); the pod's own ROOTCA alone proves nothing.
      const trusted =
        meshRoots.length > 0
          ? meshRoots
          : parseAll(sources.filter((s) => s.role === 'namespace-root' && s.owner.namespace === ns));
      const roots = [...trusted, ...podRoots];
      if (roots.length > 0 && !chainVerifies(chain, trusted.length > 0 ? trusted : roots)) {
        findings.push(
          finding({
            ...base,
            code: 'certificate-untrusted',
            message: `The certificate chain of ${describe(source)} does not verify to the mesh root: peers reject it ("x509: certificate signed by unknown authority").`,
            why: [
              `Leaf issuer: "${leaf.issuer}"; mesh root${roots.length > 1 ? 's' : ''}: ${roots.map((r) => `"${r.subject}"`).join(', ')}.`,
            ],
            fix: 'Make the CA secret and the mesh root agree, then restart istiod and the workload.',
          }),
        );
      }
      if (source.identity) {
        const { trustDomain, trustDomainAliases = [] } = mesh.snapshot.meshConfig;
        const identityIn = (td: string) =>
          `spiffe://${td}/ns/${source.identity?.namespace}/sa/${source.identity?.serviceAccount}`;
        const expected = identityIn(trustDomain);
        // Peers accept the aliases too: the SPIFFE validator trusts every alias, client SAN checks and
        // AuthorizationPolicy principals are expanded to them (pilot/pkg/networking/plugin/authn,
        // pkg/spiffe ExpandWithTrustDomains, pilot/pkg/security/trustdomain).
        const accepted = [trustDomain, ...trustDomainAliases].map(identityIn);
        if (!leaf.spiffeIds.some((id) => accepted.includes(id))) {
          findings.push(
            finding({
              ...base,
              code: 'certificate-identity-mismatch',
              message: `The certificate of ${describe(source)} carries ${leaf.spiffeIds.join(', ') || 'no SPIFFE URI'}, not ${expected}: peers that check identities (AuthorizationPolicy principals, DestinationRule subjectAltNames) reject it.`,
              why: [identityDifference(leaf.spiffeIds[0], expected, trustDomainAliases)],
              fix: "Check meshConfig.trustDomain (and trustDomainAliases after a migration) and the pod's service account, then restart the pod.",
            }),
          );
        }
      }
    }
    return findings;
  },
};

function describe(source: CertificateSource): string {
  return `pod ${source.owner.namespace}/${source.owner.name}`;
}

function parseAll(sources: readonly CertificateSource[]): CertificateInfo[] {
  return sources.flatMap((s) => {
    try {
      return parsePemBundle(s.pem);
    } catch {
      return [];
    }
  });
}

export function formatDuration(days: number): string {
  if (days >= 2) return `${days.toFixed(1)} days`;
  return `${(days * 24).toFixed(1)} hours`;
}

function identityDifference(
  actual: string | undefined,
  expected: string,
  aliases: readonly string[],
): string {
  const parse = (id: string) => /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/(.+)$/.exec(id);
  const a = actual ? parse(actual) : null;
  const e = parse(expected);
  if (!a || !e) return `Expected ${expected}.`;
  const parts: string[] = [];
  if (a[1] !== e[1] && !aliases.includes(a[1] ?? ''))
    parts.push(
      `trust domain ${a[1]} instead of ${e[1]}${aliases.length > 0 ? ` (aliases: ${aliases.join(', ')})` : ''}`,
    );
  if (a[2] !== e[2]) parts.push(`namespace ${a[2]} instead of ${e[2]}`);
  if (a[3] !== e[3]) parts.push(`service account ${a[3]} instead of ${e[3]}`);
  return `The URI has ${parts.join(', ')}.`;
}
