// The API server calls admission webhooks from outside the mesh, with its own TLS and no Istio client
// certificate: a webhook port that requires mTLS resets it. With failurePolicy Fail every API request
// the webhook matches is refused ("failed calling webhook … connection reset by peer"); with Ignore
// the webhook is skipped and requests go through unchecked. Neither istioctl analyze nor Kiali says so.
import { blockedWebhooks } from '../mesh/webhooks.js';
import type { PeerAuthentication } from '../snapshot/types.js';
import { describeDecision, paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { portExceptionFor } from './port-exception.js';

export const admissionWebhookStrict: Analyzer = {
  name: 'AdmissionWebhookStrict',
  codes: ['admission-webhook-strict'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const byWebhook = new Map<string, ReturnType<typeof blockedWebhooks>>();
    for (const b of blockedWebhooks(mesh)) {
      const key = `${b.webhook.configuration.kind}/${b.webhook.configuration.name}/${b.webhook.name}`;
      byWebhook.set(key, [...(byWebhook.get(key) ?? []), b]);
    }
    for (const group of byWebhook.values()) {
      const first = group[0];
      if (!first) continue;
      const { webhook } = first;
      const { service } = webhook;
      const pods = [...new Set(group.map((b) => `${b.workload.meta.namespace}/${b.workload.meta.name}`))];
      const ports = [...new Set(group.map((b) => b.targetPort))];
      const fails = webhook.failurePolicy === 'Fail';
      const policies = [
        ...new Set(group.map((b) => b.decision.policy).filter((p): p is PeerAuthentication => !!p)),
      ];
      const selector = first.target.service?.selector;
      const existing =
        first.decision.level === 'workload' || first.decision.level === 'port'
          ? first.decision.policy
          : undefined;
      findings.push(
        finding({
          code: 'admission-webhook-strict',
          severity: fails ? 'error' : 'warning',
          message: `The Kubernetes API server calls admission webhook ${webhook.name} (${webhook.configuration.kind} ${webhook.configuration.name}) at ${service.namespace}/${service.name}:${service.port}, but ${pods.join(', ')} require${pods.length > 1 ? '' : 's'} mTLS on port ${ports.join(', ')}: the API server has no sidecar, so its calls are reset. ${fails ? 'Its failurePolicy is Fail: every API request the webhook matches is refused ("failed calling webhook … connection reset by peer").' : 'Its failurePolicy is Ignore: the webhook is skipped, and the requests it should check or change go through unchecked.'}`,
          why: [
            ...group
              .slice(0, 3)
              .map(
                (b) =>
                  `${b.workload.meta.namespace}/${b.workload.meta.name} port ${b.targetPort} is STRICT: ${describeDecision(b.decision, b.targetPort)}.`,
              ),
            'The API server runs outside the mesh: it sends its own TLS, never Istio mTLS, and a STRICT port accepts only Istio mTLS.',
          ],
          fix: `Make port ${ports.join(', ')} of the webhook's pods PERMISSIVE with a port-level exception on a selector policy, or exclude it from the sidecar (annotation traffic.sidecar.istio.io/excludeInboundPorts): the webhook keeps its own TLS and the rest of the pod stays STRICT.`,
          resource: { kind: webhook.configuration.kind, name: webhook.configuration.name },
          location: webhook.source,
          path: 'webhooks[].clientConfig.service',
          related: [first.target.ref, ...policies.map(paRef)],
          namespaces: [service.namespace],
          remediations: selector
            ? portExceptionFor(mesh, first.workload, selector, first.targetPort, existing)
            : [],
        }),
      );
    }
    return findings;
  },
};
