// Reads the live certificate chains of sidecar pods through istioctl, one pod per workload, a few at a
// time, and adds them (or the gaps) to the snapshot.
import { type IstioctlOptions, istioctlProxySecret } from '../snapshot/istioctl.js';
import type { CertificateSource, Gap, MeshSnapshot } from '../snapshot/types.js';
import { notASecretDump, readProxySecrets } from './secret-dump.js';

export interface CollectOptions extends IstioctlOptions {
  readonly namespace?: string;
  readonly pod?: string;
  /** At most this many pods are asked (one per workload). */
  readonly maxPods?: number;
  readonly concurrency?: number;
  /** Mark the gaps optional (a cross-check of `check`, the main job of `certs`). */
  readonly optional?: boolean;
}

export async function collectWorkloadCertificates(
  snapshot: MeshSnapshot,
  istioctl: string | undefined,
  options: CollectOptions,
): Promise<MeshSnapshot> {
  const pods = snapshot.workloads
    .filter((w) => w.proxy === 'sidecar' && (!options.namespace || w.meta.namespace === options.namespace))
    .flatMap((w) => {
      const names = options.pod ? w.podNames.filter((p) => p === options.pod) : w.podNames.slice(0, 1);
      return names.map((pod) => ({ pod, workload: w }));
    });
  if (pods.length === 0) return snapshot;
  if (!istioctl) {
    return withAdditions(
      snapshot,
      [],
      [
        {
          source: 'workload certificates',
          reason: "istioctl is not on PATH (or --istioctl): the proxies' live certificates were not read",
          optional: options.optional,
        },
      ],
    );
  }
  const max = options.maxPods ?? 20;
  const selected = pods.slice(0, max);
  const gaps: Gap[] = [];
  if (pods.length > max)
    gaps.push({
      source: 'workload certificates',
      reason: `read ${max} of ${pods.length} sidecar pods; narrow with -n or --pod to see the rest`,
    });
  const certificates: CertificateSource[] = [];
  const queue = [...selected];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { pod, workload } = next;
      const ns = workload.meta.namespace;
      const owner = { kind: 'Pod', namespace: ns, name: pod };
      const result = await istioctlProxySecret(istioctl, pod, ns, options);
      if (!result.ok) {
        gaps.push({ ...result.gap, optional: options.optional });
        continue;
      }
      // Output that is not a dump says nothing about the proxy: a gap, never "certificate missing".
      const notADump = notASecretDump(result.value);
      if (notADump) {
        gaps.push({
          source: `istioctl proxy-config secret ${pod}.${ns}`,
          reason: `printed JSON that is not its secret dump: ${notADump}`,
          optional: options.optional,
        });
        continue;
      }
      const secrets = readProxySecrets(result.value);
      const identity = { namespace: ns, serviceAccount: workload.serviceAccount };
      // An empty chain records a proxy that has no `default` secret at all (certificate-missing).
      certificates.push({
        role: 'workload-chain',
        owner,
        key: 'default',
        pem: secrets.chainPem ?? '',
        identity,
      });
      if (secrets.rootPem)
        certificates.push({ role: 'workload-root', owner, key: 'ROOTCA', pem: secrets.rootPem });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return withAdditions(snapshot, certificates, gaps);
}

function withAdditions(snapshot: MeshSnapshot, certificates: CertificateSource[], gaps: Gap[]): MeshSnapshot {
  return {
    ...snapshot,
    certificates: [...snapshot.certificates, ...certificates],
    gaps: [...snapshot.gaps, ...gaps],
  };
}
