// `mtls-doctor fix`: shows one remediation plan of the diagnosis as a server-side dry run and diff,
// applies it with --apply (audited, then re-checked), or rolls an applied fix back.
// Exit: 3 when the change could not be made, 2 for bad usage.
import type { Command } from 'commander';
import { diagnose } from '../src/engine/diagnose.js';
import { applyPlan, previewPlan, RemediationError, rollback } from '../src/remediation/apply.js';
import { createKubeApi } from '../src/snapshot/live/kube-api.js';
import { loadSource } from '../src/snapshot/source.js';
import { AuditLog } from '../src/store/audit-store.js';
import { type CommandContext, IncompleteError, parseCount, UsageError } from './cli-kit.js';
import { kubeConfigFrom } from './kubeconfig-file.js';
import { load } from './source-options.js';

export const description = 'show (dry run) or apply one remediation plan of the diagnosis, or roll one back';

interface FixOptions {
  apply?: boolean;
  rollback?: number;
  namespace?: string;
  context?: string;
  kubeconfig?: string;
  audit: string;
}

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('fix')
    .description(description)
    .argument('[plan-id]', 'a plan id, as check shows it in brackets')
    .option('--apply', 'apply the change (default: server-side dry run and diff only)')
    .option('--rollback <audit-id>', 'restore what an applied fix changed', parseCount)
    .option('-n, --namespace <ns>', 'diagnose only this namespace when looking up the plan')
    .option('--context <ctx>', 'kubeconfig context')
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--audit <file>', 'SQLite audit log', process.env.MTLS_DOCTOR_AUDIT ?? 'mtls-doctor-audit.db')
    .action(async (planId: string | undefined, options: FixOptions) => {
      if (!planId && options.rollback === undefined)
        throw new UsageError('name a plan id (from check) or --rollback AUDIT-ID');
      const actor = `${process.env.USER ?? 'unknown'} (cli)`;
      const audit = new AuditLog(options.audit);
      try {
        const { loaded, namespace } = await load({ ...options, output: 'text' }, io);
        if (loaded.source.kind !== 'cluster') throw new UsageError('fix changes a live cluster');
        const api = createKubeApi({
          context: options.context,
          kubeConfig: kubeConfigFrom(options.kubeconfig),
        }).objects;
        if (options.rollback !== undefined) {
          const result = await rollback(api, audit, options.rollback, actor);
          io.stdout(
            `${result.diff}\nRolled back audit entry ${options.rollback} (new audit entry ${result.auditId}).\n`,
          );
          return;
        }
        const diagnosis = diagnose(loaded.snapshot, { namespace, now: io.now });
        const plans = diagnosis.findings.flatMap((f) => f.remediations);
        const plan = plans.find((p) => p.id === planId);
        if (!plan) {
          const ids = [...new Set(plans.map((p) => p.id))];
          throw new UsageError(
            `no plan ${planId} in the current diagnosis${ids.length ? `; plans now: ${ids.slice(0, 15).join(', ')}${ids.length > 15 ? ', …' : ''}` : ' (no remediation is offered)'}`,
          );
        }
        const code = diagnosis.findings.find((f) => f.remediations.includes(plan))?.code;
        const before = diagnosis.findings.filter((f) => f.code === code).length;
        if (!options.apply) {
          const preview = await previewPlan(api, plan);
          io.stdout(
            `${plan.title}\nRisk: ${plan.risk}\n\n${preview.diff}\nThe API server accepted this change as a dry run; nothing was changed. Apply with --apply.\n`,
          );
          return;
        }
        const applied = await applyPlan(api, plan, audit, actor);
        const recheck = diagnose(
          (await loadSource({ context: options.context, kubeconfigPath: options.kubeconfig })).snapshot,
          { namespace, now: io.now },
        );
        const after = recheck.findings.filter((f) => f.code === code).length;
        io.stdout(
          `${applied.diff}\nApplied (audit entry ${applied.auditId}). ${code}: ${before} finding(s) before, ${after} after.\nRoll back with: mtls-doctor fix --rollback ${applied.auditId}\n`,
        );
      } catch (error) {
        if (error instanceof RemediationError) throw new IncompleteError(error.message);
        throw error;
      } finally {
        audit.close();
      }
    });
}
