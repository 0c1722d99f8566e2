// `mtls-doctor fix`: shows one remediation plan of the diagnosis as a server-side dry run and diff,
// applies it with --apply (audited, then re-checked), or rolls an applied fix back (its impact on
// calls computed on the cluster first, gated like --apply's). Exit: 0 when the change is made, even if the re-check after it could not read
// the cluster or the audit log could not record it (warnings: the change stays made); 1 when it is made
// and the re-check shows an error finding it opened (named, with the rollback); 3 when the change
// could not be made, or whether it was is unknown (the message says which, and how to check); 130 when
// Ctrl-C interrupts a write (its outcome recorded as unknown first); 2 for bad usage, a manual plan, or
// a change --apply or --rollback refuses because it breaks calls (or its impact is unknown) without
// --accept-breaking.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type DiagnoseOptions, diagnose, diagnoseShared } from '../src/engine/diagnose.js';
import { notComputed, type PlanImpact, planImpact } from '../src/impact/plan-impact.js';
import { sanitizeText } from '../src/render/sanitize.js';
import { ClusterUnavailableError } from '../src/snapshot/errors.js';
import { loadSource } from '../src/snapshot/source.js';
import type { AuditStore } from '../src/store/audit-store.js';
import {
  type CommandContext,
  EXIT,
  IncompleteError,
  openStore,
  parseCount,
  parseTimeout,
  UsageError,
} from './cli-kit.js';
import { impactLines, needsAcceptance } from './fix-impact.js';
import { recordOnInterrupt } from './fix-interrupt.js';
import { findingCounts, openedFindings, type Recheck, rollbackCommand, undoIfLanded } from './fix-report.js';
import { load } from './source-options.js';

export function register(program: Command, { io, setExit, description }: CommandContext): void {
  program
    .command('fix')
    .description(description)
    .argument('[plan-id]', 'a plan id, as check shows it in brackets')
    .option('--apply', 'apply the change (default: server-side dry run and diff only)')
    .option(
      '--accept-breaking',
      'with --apply or --rollback: make even a change that breaks calls, opens error findings, or whose impact on calls could not be computed (refused otherwise, exit 2)',
    )
    .option(
      '--rollback <audit-id>',
      'restore what a fix changed (one whose outcome is unknown only if it landed)',
      parseCount,
    )
    .option('-n, --namespace <ns>', 'diagnose only this namespace when looking up the plan')
    .option('--context <ctx>', 'kubeconfig context')
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--request-timeout <ms>', 'timeout of each Kubernetes API request', parseTimeout, 30_000)
    .option(
      '--audit <file>',
      'SQLite audit log (opened only with --apply or --rollback)',
      process.env.MTLS_DOCTOR_AUDIT ?? 'mtls-doctor-audit.db',
    )
    .action(
      async (
        planId: string | undefined,
        options: {
          apply?: boolean;
          acceptBreaking?: boolean;
          rollback?: number;
          namespace?: string;
          context?: string;
          kubeconfig?: string;
          requestTimeout: number;
          audit: string;
        },
      ) => {
        if (!planId && options.rollback === undefined)
          throw new UsageError('name a plan id (from check) or --rollback AUDIT-ID');
        if (planId && options.rollback !== undefined)
          throw new UsageError('name either a plan id or --rollback AUDIT-ID, not both');
        if (options.acceptBreaking && !options.apply && options.rollback === undefined)
          throw new UsageError('--accept-breaking goes with --apply or --rollback');
        // The Kubernetes client and SQLite load when fix runs, not for `fix --help` or a usage error.
        const [
          {
            applyPlan,
            mayHaveLanded,
            OutcomeUnknownError,
            previewPlan,
            RemediationError,
            rollbackPlan,
            writtenBy,
          },
          { remediationApi },
          { AuditLog },
        ] = await Promise.all([
          import('../src/remediation/apply.js'),
          import('../src/remediation/object-api.js'),
          import('../src/store/audit-store.js'),
        ]);
        const actor = `${process.env.USER ?? 'unknown'} (cli)`;
        const rollbackTarget = {
          auditPath: resolve(io.cwd, options.audit),
          kubeconfig: options.kubeconfig === undefined ? undefined : resolve(io.cwd, options.kubeconfig),
          context: options.context,
        };
        // Only a change needs the audit log: a dry run leaves no file behind. A missing directory or a
        // file that is not a database is bad input naming --audit, not a SqliteError stack trace.
        // Every write goes through `withAudit`: an outcome that is unknown (no answer, an interrupt)
        // is recorded and said with the way to check it and to undo it if it landed.
        const withAudit = async <T>(write: (audit: AuditStore) => Promise<T>): Promise<T> => {
          const audit = openStore('--audit', options.audit, (path) => new AuditLog(resolve(io.cwd, path)));
          const guard = recordOnInterrupt(audit, (open, signal) =>
            io.stderr(
              `mtls-doctor: interrupted (${signal}) while a change was on its way to the API server; ${mayHaveLanded(open.target, open.id)}; ${undoIfLanded(open.id, rollbackTarget)}\n`,
            ),
          );
          try {
            return await write(guard.audit);
          } catch (error) {
            if (error instanceof OutcomeUnknownError)
              throw new IncompleteError(`${error.message}; ${undoIfLanded(error.auditId, rollbackTarget)}`);
            if (error instanceof RemediationError) throw new IncompleteError(error.message);
            throw error;
          } finally {
            guard.release();
            audit.close();
          }
        };
        // The change is made whatever the audit log could record of it: said as a warning, not a failure;
        // so is an answer that was lost, the change seen made by reading the object back.
        const warnAudit = (done: { auditProblem?: string; readBack?: string }) => {
          if (done.readBack) io.stderr(`mtls-doctor: warning: ${done.readBack}\n`);
          if (done.auditProblem)
            io.stderr(`mtls-doctor: warning: the change is made, but ${done.auditProblem}\n`);
        };
        const objects = () =>
          remediationApi({
            kubeconfigPath: options.kubeconfig,
            context: options.context,
            timeoutMs: options.requestTimeout,
          });
        if (options.rollback !== undefined) {
          const auditPath = resolve(io.cwd, options.audit);
          if (!existsSync(auditPath)) throw new UsageError(`no audit log at ${options.audit} (--audit)`);
          const api = objects();
          const auditId = options.rollback;
          const result = await withAudit(async (audit) => {
            if (!audit.get(auditId)) throw new UsageError(`no audit entry ${auditId} in ${options.audit}`);
            // A rollback is a change too: undoing a fix that repaired calls breaks them again. Its
            // impact is computed on the cluster as it is, and gated as --apply's is.
            const plan = await rollbackPlan(api, audit, auditId);
            const preview = await previewPlan(api, plan);
            // A cluster this identity cannot read (a rollback needs only get and patch) leaves the impact
            // unknown: refused without --accept-breaking, never a rollback blocked at 3 a.m.
            let effect: PlanImpact;
            try {
              const { loaded } = await load({ ...options, output: 'text' }, io);
              effect = planImpact(loaded.snapshot, writtenBy(plan, preview), { now: io.now });
            } catch (error) {
              if (!(error instanceof IncompleteError || error instanceof ClusterUnavailableError))
                throw error;
              effect = notComputed(`the cluster could not be read (${error.message})`, { unknown: true });
            }
            io.stdout(`${preview.diff}\n${impactLines(effect)}`);
            const refusal = needsAcceptance(effect);
            if (refusal && !options.acceptBreaking)
              throw new UsageError(
                `refused: ${refusal}; nothing was rolled back. Pass --accept-breaking with --rollback to roll it back anyway`,
              );
            return applyPlan(api, plan, audit, actor, undefined, {
              expectResourceVersion: preview.before?.metadata?.resourceVersion,
            });
          });
          io.stdout(`\nRolled back audit entry ${auditId} (new audit entry ${result.auditId}).\n`);
          warnAudit(result);
          return;
        }
        const { loaded, namespace } = await load(
          { ...options, output: 'text', requestTimeout: options.requestTimeout },
          io,
        );
        if (loaded.source.kind !== 'cluster') throw new UsageError('fix changes a live cluster');
        // One whole-mesh run serves the plan lookup (scoped) and the impact below.
        const diagnosis = diagnoseShared(loaded.snapshot, namespace, io.now);
        const plans = diagnosis.findings.flatMap((f) => f.remediations);
        const plan = plans.find((p) => p.id === planId);
        if (!plan) {
          const ids = [...new Set(plans.map((p) => p.id))];
          throw new UsageError(
            `no plan ${planId} in the current diagnosis${ids.length ? `; plans now: ${ids.slice(0, 15).join(', ')}${ids.length > 15 ? ', …' : ''}` : ' (no remediation is offered)'}`,
          );
        }
        if (plan.manual) {
          throw new UsageError(
            `plan ${plan.id} is run by hand, not by fix (${plan.title}); after review, run:\n${plan.kubectl}`,
          );
        }
        const api = objects();
        const code = diagnosis.findings.find((f) => f.remediations.includes(plan))?.code;
        // The dry run and --apply alike: what the change does to calls, from the dry run's object on
        // the snapshot just read, before anything is written.
        let preview: Awaited<ReturnType<typeof previewPlan>>;
        try {
          preview = await previewPlan(api, plan);
        } catch (error) {
          if (error instanceof RemediationError) throw new IncompleteError(error.message);
          throw error;
        }
        const effect = planImpact(loaded.snapshot, writtenBy(plan, preview), {
          beforeDiagnosis: diagnoseShared(loaded.snapshot, undefined, io.now),
          now: io.now,
        });
        const refusal = needsAcceptance(effect);
        const heading = `${plan.title}\nRisk: ${plan.risk}\n\n`;
        if (!options.apply) {
          io.stdout(
            `${heading}${preview.diff}\n${impactLines(effect)}The API server accepted this change as a dry run; nothing was changed. Apply with --apply${refusal ? ' --accept-breaking' : ''}.\n`,
          );
          return;
        }
        if (refusal && !options.acceptBreaking) {
          io.stdout(`${heading}${preview.diff}\n${impactLines(effect)}`);
          throw new UsageError(
            `refused: ${refusal}; nothing was changed. Pass --accept-breaking with --apply to apply it anyway`,
          );
        }
        const applied = await withAudit((audit) => {
          // Said once the audit log opens (a bad --audit is one line, nothing else), before the write.
          io.stdout(`${heading}${impactLines(effect)}\n`);
          // Bound to the object the impact was computed for: refused if it changed since.
          return applyPlan(api, plan, audit, actor, undefined, {
            expectResourceVersion: preview.before?.metadata?.resourceVersion,
          });
        });
        // The cluster has changed: that is said (with the way back) before the re-check, which may fail.
        io.stdout(
          `${applied.diff}\nApplied (audit entry ${applied.auditId}).\nRoll back with: ${rollbackCommand(applied.auditId, rollbackTarget)}\n`,
        );
        warnAudit(applied);
        const after = await recheck(
          {
            context: options.context,
            kubeconfigPath: options.kubeconfig,
            requestTimeoutMs: options.requestTimeout,
          },
          { namespace, now: io.now },
        );
        if ('failed' in after)
          io.stderr(
            `mtls-doctor: warning: the change is applied (audit entry ${applied.auditId}), but the re-check after it failed: ${after.failed}\n`,
          );
        io.stdout(`${findingCounts(code ?? plan.id, diagnosis, after)}\n`);
        // Any code, not only the plan's: a change that fixes one finding may open another elsewhere.
        const opened = openedFindings(diagnosis, after);
        for (const line of opened.lines) io.stdout(`${line}\n`);
        if (opened.errors > 0) {
          io.stderr(
            `mtls-doctor: warning: the change is applied (audit entry ${applied.auditId}), but it opened ${opened.errors} error finding${opened.errors === 1 ? '' : 's'}; roll back with: ${rollbackCommand(applied.auditId, rollbackTarget)}\n`,
          );
          setExit(EXIT.findings);
        }
      },
    );
}

/**
 * The diagnosis after the change, or why it could not be made: a failing re-check does not undo the
 * change, so it is reported, never thrown (an exit 3 would say the change was not made).
 */
async function recheck(source: Parameters<typeof loadSource>[0], options: DiagnoseOptions): Promise<Recheck> {
  try {
    return { diagnosis: diagnose((await loadSource(source)).snapshot, options) };
  } catch (error) {
    return { failed: sanitizeText((error as Error).message) };
  }
}
