// Prometheus metrics of the bot (prom-client): what it checked, how long it took, what it found, what
// it offered to fix, and the errors of the two APIs it depends on.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelStatus } from '../snapshot/live/model.js';

export class BotMetrics {
  readonly registry = new Registry();
  readonly checks = new Counter({
    name: 'mtls_doctor_checks_total',
    help: 'Commands, incident diagnoses and digests answered, by command and outcome (problems-found, no-problems-found, incomplete, posted, refused, failed).',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly checkDuration = new Histogram({
    name: 'mtls_doctor_check_duration_seconds',
    help: 'Time from ack to the posted answer.',
    labelNames: ['command'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly findings = new Counter({
    name: 'mtls_doctor_findings_total',
    help: 'Findings reported in answers, by code and severity.',
    labelNames: ['code', 'severity'] as const,
    registers: [this.registry],
  });
  readonly remediations = new Counter({
    name: 'mtls_doctor_remediations_total',
    help: 'Remediation button clicks, by outcome (plan-shown, plan-unknown).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly slackErrors = new Counter({
    name: 'mtls_doctor_slack_api_errors_total',
    help: 'Failed Slack Web API calls, by method.',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly kubernetesErrors = new Counter({
    name: 'mtls_doctor_kubernetes_api_errors_total',
    help: 'Kubernetes reads that ended in a gap or an unreachable cluster.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  /** The watched model's latest status (serve against a live cluster); read at every scrape. */
  private model?: { status: ModelStatus; now: () => number };
  readonly watchSyncAge = new Gauge({
    name: 'mtls_doctor_watch_sync_age_seconds',
    help: 'Per watched kind: seconds since the model was last known current (0 while its watch is established).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
    collect: () => this.collectModel(),
  });
  readonly watchUp = new Gauge({
    name: 'mtls_doctor_watch_up',
    help: 'Per watched kind: 1 while its watch is established, 0 while it fails (answers then carry a gap).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mtls_doctor_' });
  }

  observeModel(status: ModelStatus, now: () => number = Date.now): void {
    this.model = { status, now };
  }

  private collectModel(): void {
    if (!this.model) return;
    const { status, now } = this.model;
    for (const kind of status.kinds) {
      this.watchUp.set({ kind: kind.name }, kind.healthy ? 1 : 0);
      // Before the first sync there is no age to give: the kind is left out (readiness says why).
      if (kind.currentAt === undefined) continue;
      const age = kind.healthy ? 0 : (now() - kind.currentAt) / 1000;
      this.watchSyncAge.set({ kind: kind.name }, age);
    }
  }
}
