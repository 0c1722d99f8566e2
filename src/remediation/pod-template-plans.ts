// Plans that give one workload its proxy through its pod template, where the template itself keeps
// the proxy away: it opts out of sidecar injection, or out of its ambient namespace. The opt-out is
// turned around ("true", "ambient") rather than deleted, so the merge patch holds no null the
// request body could lose. A template change rolls a Deployment, StatefulSet or DaemonSet out, so
// its pods come back with the proxy; kinds without a rollout get no plan.
import type { Workload } from '../snapshot/types.js';
import { mergePatchCommand, RESTARTABLE, type RemediationPlan } from './plans.js';

const INJECT = 'sidecar.istio.io/inject';
const DATAPLANE_MODE = 'istio.io/dataplane-mode';

export function hasRollout(workload: Workload): boolean {
  return RESTARTABLE.includes(workload.kind);
}

/** The template labels and annotations that ask for a sidecar where they said "false". */
export function injectionRequested(workload: Workload): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const asked = (values: Readonly<Record<string, string>>): Record<string, string> =>
    values[INJECT] === 'false' ? { [INJECT]: 'true' } : {};
  return { labels: asked(workload.podLabels), annotations: asked(workload.podAnnotations) };
}

export function requestInjection(workload: Workload): RemediationPlan {
  const { labels, annotations } = injectionRequested(workload);
  const where = [
    ...(Object.keys(labels).length > 0 ? ['label'] : []),
    ...(Object.keys(annotations).length > 0 ? ['annotation'] : []),
  ].join(' and ');
  return templatePlan(
    workload,
    'request-injection',
    { labels, annotations },
    {
      title: `Ask for a sidecar in the pod template of ${describe(workload)} (${where} ${INJECT}: "true" instead of "false")`,
      risk: `The workload rolls out: its pods are replaced one by one, with a sidecar. Someone opted it out on purpose: check that the app tolerates the proxy (UID 1337, init ordering) first.`,
    },
  );
}

export function enrolInAmbient(workload: Workload): RemediationPlan {
  return templatePlan(
    workload,
    'ambient-enrol',
    { labels: { [DATAPLANE_MODE]: 'ambient' } },
    {
      title: `Enrol ${describe(workload)} in ambient like the rest of namespace ${workload.meta.namespace} (pod template label ${DATAPLANE_MODE}: ambient instead of none)`,
      risk: `The workload rolls out and ztunnel then carries its calls (HBONE, mTLS). Someone opted it out on purpose: check why first (e.g. traffic ztunnel must not capture).`,
    },
  );
}

function templatePlan(
  workload: Workload,
  action: string,
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> },
  text: { title: string; risk: string },
): RemediationPlan {
  const { kind, meta } = workload;
  const target = { apiVersion: 'apps/v1', kind, namespace: meta.namespace, name: meta.name };
  const templateMetadata = Object.fromEntries(
    Object.entries(metadata).filter(([, values]) => values && Object.keys(values).length > 0),
  );
  const body = { spec: { template: { metadata: templateMetadata } } };
  return {
    id: `${action}:${kind}/${meta.namespace}/${meta.name}`,
    ...text,
    action: 'merge-patch',
    target,
    body,
    kubectl: mergePatchCommand(kind.toLowerCase(), target, body),
  };
}

function describe(workload: Workload): string {
  return `${workload.kind.toLowerCase()} ${workload.meta.namespace}/${workload.meta.name}`;
}
