// Merges `istioctl analyze` messages (IST codes) into the diagnosis: each becomes an `istioctl-analyze`
// finding, unless one of our own findings already says the same thing about the same object.
import type { AnalyzeMessage } from '../snapshot/istioctl.js';
import type { Ref, SourceLocation } from '../snapshot/types.js';
import type { FindingCode } from './catalogue.js';
import { type Finding, finding } from './finding.js';

// IST codes our analyzers cover with more context (istio/istio: pkg/config/analysis/msg/messages.yaml).
const COVERED_BY: Record<string, FindingCode> = {
  IST0103: 'sidecar-missing',
  IST0173: 'selector-matches-nothing',
  IST0174: 'destinationrule-host-not-found',
};

const LEVELS = { Error: 'error', Warning: 'warning', Info: 'info' } as const;

export function findingsFromIstioctl(
  messages: readonly AnalyzeMessage[],
  ours: readonly Finding[],
): Finding[] {
  const seen = new Set<string>();
  const result: Finding[] = [];
  for (const message of messages) {
    const resource = parseOrigin(message.origin);
    const covered = COVERED_BY[message.code];
    if (covered && ours.some((f) => f.code === covered && sameObject(f, resource))) continue;
    if (
      message.code === 'IST0106' &&
      resource.kind === 'PeerAuthentication' &&
      /port level/i.test(message.message)
    ) {
      if (ours.some((f) => f.code === 'port-level-mtls-ignored' && sameObject(f, resource))) continue;
    }
    const key = `${message.code} ${message.origin} ${message.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(
      finding({
        code: 'istioctl-analyze',
        severity: LEVELS[message.level] ?? 'warning',
        message: `[${message.code}] ${message.message}`,
        why: message.documentationUrl
          ? [`istioctl analyze: ${message.documentationUrl}`]
          : ['Reported by istioctl analyze.'],
        fix: message.documentationUrl
          ? `See ${message.documentationUrl}`
          : 'See the istioctl analyze documentation for this code.',
        resource,
        location: parseReference(message.reference),
      }),
    );
  }
  return result;
}

/** `"DestinationRule default/db-tls"`, `"Namespace bar"` */
export function parseOrigin(origin: string | undefined): Ref {
  const match = /^(\S+)\s+(?:([^/\s]+)\/)?(\S+)/.exec(origin ?? '');
  if (!match) return { kind: 'Unknown', name: origin ?? '(unknown)' };
  const [, kind, namespace, name] = match;
  return namespace
    ? { kind: kind as string, namespace, name: name as string }
    : { kind: kind as string, name: name as string };
}

function parseReference(reference: string | undefined): SourceLocation | undefined {
  const match = /^(.*):(\d+)$/.exec(reference ?? '');
  return match ? { file: match[1] as string, line: Number(match[2]) } : undefined;
}

// A pod named by istioctl belongs to the workload we name (pods carry the owner's name as prefix).
function sameObject(f: Finding, ref: Ref): boolean {
  if (f.resource.namespace !== ref.namespace) return false;
  return f.resource.name === ref.name || (ref.kind === 'Pod' && ref.name.startsWith(`${f.resource.name}-`));
}
