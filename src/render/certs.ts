// `certs`: every certificate the snapshot holds (CA, namespace roots, proxies' chains), with what an
// operator asks first: who it is, who signed it, and how long it has left.
import pc from 'picocolors';
import type { Finding } from '../analyzers/finding.js';
import { formatDuration } from '../analyzers/workload-certificates.js';
import { CertificateParseError, daysBetween, parsePemBundle } from '../certs/x509.js';
import type { CertificateSource, Gap } from '../snapshot/types.js';
import { formatRef } from '../snapshot/types.js';
import { findingToJson } from './json.js';
import { oneLineGap, sanitizeDeep } from './sanitize.js';

export interface CertificateRow {
  readonly owner: CertificateSource['owner'];
  readonly key: string;
  readonly role: CertificateSource['role'];
  readonly subject?: string;
  readonly issuer?: string;
  readonly serialNumber?: string;
  readonly spiffeIds?: readonly string[];
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly daysLeft?: number;
  readonly fingerprint256?: string;
  readonly isCa?: boolean;
  readonly error?: string;
}

/** The CA's certificates always; namespace roots and proxies' chains of the namespace (and pod) asked for. */
export function certificatesInScope(
  sources: readonly CertificateSource[],
  namespace?: string,
  pod?: string,
): CertificateSource[] {
  return sources.filter((cert) => {
    if (cert.role.startsWith('ca-')) return true;
    if (namespace && cert.owner.namespace !== namespace) return false;
    return !pod || cert.role === 'namespace-root' || cert.owner.name === pod;
  });
}

export function certificateRows(sources: readonly CertificateSource[], now: Date): CertificateRow[] {
  return sources.flatMap((source): CertificateRow[] => {
    const base = { owner: source.owner, key: source.key, role: source.role };
    if (!source.pem) return [{ ...base, error: 'no certificate' }];
    try {
      return parsePemBundle(source.pem).map((c) => ({
        ...base,
        subject: c.subject,
        issuer: c.issuer,
        serialNumber: c.serialNumber,
        spiffeIds: c.spiffeIds,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        daysLeft: Math.round(daysBetween(now, c.notAfter) * 100) / 100,
        fingerprint256: c.fingerprint256,
        isCa: c.isCa,
      }));
    } catch (error) {
      if (!(error instanceof CertificateParseError)) throw error;
      return [{ ...base, error: error.message }];
    }
  });
}

export function renderCertsJson(
  rows: readonly CertificateRow[],
  findings: readonly Finding[],
  gaps: readonly Gap[],
): string {
  return `${JSON.stringify({ certificates: rows, findings: findings.map(findingToJson), gaps }, null, 2)}\n`;
}

export function renderCertsText(
  rawRows: readonly CertificateRow[],
  rawFindings: readonly Finding[],
  rawGaps: readonly Gap[],
  color: boolean,
): string {
  const c = pc.createColors(color);
  const rows = rawRows.map((r) => sanitizeDeep(r));
  const findings = rawFindings.map((f) => sanitizeDeep(f));
  const gaps = rawGaps.map(oneLineGap);
  const out: string[] = [];
  for (const row of rows) {
    out.push(c.bold(`${formatRef(row.owner)} ${row.key}`) + c.dim(` (${row.role})`));
    if (row.error) {
      out.push(c.red(`  ${row.error}`), '');
      continue;
    }
    const left = row.daysLeft ?? 0;
    const leftText =
      left <= 0
        ? c.red(`expired ${formatDuration(-left)} ago`)
        : left < 7
          ? c.yellow(`${formatDuration(left)} left`)
          : `${formatDuration(left)} left`;
    out.push(
      `  subject:     ${row.subject}${row.isCa ? c.dim(' (CA)') : ''}`,
      ...(row.spiffeIds?.length ? [`  SPIFFE ID:   ${row.spiffeIds.join(', ')}`] : []),
      `  issuer:      ${row.issuer}`,
      `  serial:      ${row.serialNumber}`,
      `  valid:       ${row.notBefore} → ${row.notAfter} (${leftText})`,
      `  fingerprint: ${row.fingerprint256}`,
      '',
    );
  }
  if (rows.length === 0) out.push('No certificates found in scope.', '');
  for (const f of findings)
    out.push(`${c.red('●')} ${c.bold(f.code)} ${formatRef(f.resource)}: ${f.message}`);
  if (gaps.length > 0) {
    out.push('', c.magenta(c.bold(`Could not check (${gaps.length})`)));
    for (const gap of gaps) out.push(`  ${c.magenta('?')} ${gap.source}: ${gap.reason}`);
  }
  return `${out.join('\n')}\n`;
}
