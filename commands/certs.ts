// `mtls-doctor certs`: the CA, the roots each namespace trusts and the proxies' certificates, with
// their problems. Exit: 1 for error findings, 3 when something could not be read.
import type { Command } from 'commander';
import { caCertificates } from '../src/analyzers/ca-certificates.js';
import { workloadCertificates } from '../src/analyzers/workload-certificates.js';
import { collectWorkloadCertificates } from '../src/certs/collect-workload-certs.js';
import { diagnose } from '../src/engine/diagnose.js';
import {
  certificateRows,
  certificatesInScope,
  renderCertsJson,
  renderCertsText,
} from '../src/render/certs.js';
import type { MeshSnapshot } from '../src/snapshot/types.js';
import { resolveIstioctl } from './check.js';
import { type CommandContext, UsageError } from './cli-kit.js';
import {
  type CliSourceOptions,
  exitCodeFor,
  load,
  READ_CA_SECRET_HELP,
  withSource,
} from './source-options.js';

export function register(program: Command, { io, setExit, description }: CommandContext): void {
  withSource(program.command('certs').description(description), ['text', 'json'])
    .option('--pod <pod>', 'only this pod (with -n)')
    .option(
      '--istioctl <path>',
      'istioctl binary used to read proxy certificates (default: istioctl on PATH)',
    )
    .option('--read-ca-secret', READ_CA_SECRET_HELP)
    .action(async (options: CliSourceOptions & { pod?: string; istioctl?: string }) => {
      if (options.pod && !options.namespace) throw new UsageError('--pod needs -n NAMESPACE');
      const { loaded, namespace } = await load(options, io);
      let snapshot = loaded.snapshot;
      if (options.pod) requirePod(snapshot, options.namespace as string, options.pod);
      if (loaded.source.kind === 'cluster') {
        const istioctl = await resolveIstioctl(options.istioctl);
        snapshot = await collectWorkloadCertificates(snapshot, istioctl, {
          context: options.context,
          kubeconfig: options.kubeconfig,
          namespace,
          pod: options.pod,
        });
      }
      const now = io.now ?? new Date();
      const diagnosis = diagnose(snapshot, {
        namespace,
        now,
        analyzers: [caCertificates, workloadCertificates],
      });
      const rows = certificateRows(certificatesInScope(snapshot.certificates, namespace, options.pod), now);
      if (options.output === 'json') io.stdout(renderCertsJson(rows, diagnosis.findings, diagnosis.gaps));
      else io.stdout(renderCertsText(rows, diagnosis.findings, diagnosis.gaps, io.isTty));
      setExit(exitCodeFor(diagnosis));
    });
}

/**
 * `--pod` names a pod that was read, or it is a usage error (not an empty, successful answer). When the
 * pods could not be listed, that gap is the answer instead: exit 3, not a claim that the pod is absent.
 */
function requirePod(snapshot: MeshSnapshot, namespace: string, pod: string): void {
  const found = snapshot.workloads.some((w) => w.meta.namespace === namespace && w.podNames.includes(pod));
  const podsUnread = snapshot.gaps.some((g) => g.source.startsWith('pods '));
  if (!found && !podsUnread) throw new UsageError(`no pod ${pod} in namespace ${namespace}`);
}
