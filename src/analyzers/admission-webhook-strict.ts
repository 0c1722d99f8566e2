// The API server calls admission webhooks from outside the mesh, with its own TLS and no Istio client
// certificate: a webhook port that requires mTLS resets it. With failurePolicy Fail every API request
// the webhook matches is refused ("failed calling webhook … connection reset by peer"); with Ignore
// the webhook is skipped and requests go through unchecked (policy silently not enforced: an error too).
// Neither istioctl analyze nor Kiali says so.
import { blockedWebhooks } from '../mesh/webhooks.js';
import type { PeerAuthentication } from '../snapshot/types.js';
import { groupBy } from './connectivity-failures.js';
import { describeDecision, paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { portExceptionFor } from './port-exception.js';

export const admissionWebhookStrict: Analyzer = {
  name: 'AdmissionWebhookStrict',
  codes: ['admission-webhook-strict'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const byWebhook = groupBy(
      blockedWebhooks(mesh),
      (b) => `${b.webhook.configuration.kind}/${b.webhook.configuration.name}/${b.webhook.name}`,
    );
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
      // One exception per port the Service reaches (pods may resolve a named port differently).
      const byPort = new Map(group.map((b) => [b.targetPort, b]));
      const remediations = selector
        ? [...byPort.values()].flatMap((b) => portExceptionFor(mesh, b.workload, selector, b.targetPort))
        : [];
      const ambient = group.some((b) => b.workload.proxy === 'ambient');
      findings.push(
        finding({
          code: 'admission-webhook-strict',
          // Failing open is no smaller a problem: the checks the webhook enforces are silently skipped.
          severity: 'error',
          message: `The Kubernetes API server calls admission webhook ${webhook.name} (${webhook.configuration.kind} ${webhook.configuration.name}) at ${service.namespace}/${service.name}:${service.port}, but ${pods.join(', ')} require${pods.length > 1 ? '' : 's'} mTLS on port ${ports.join(', ')}: the API server has no sidecar, so its calls are reset. ${fails ? 'Its failurePolicy is Fail: every API request the webhook matches is refused ("failed calling webhook … connection reset by peer").' : 'Its failurePolicy is Ignore: the webhook is skipped, and the requests it should check or change go through unchecked.'}`,
          why: [
            ...group
              .slice(0, 3)
              .map((b) =>
                b.decision.mode === 'STRICT'
                  ? `${b.workload.meta.namespace}/${b.workload.meta.name} port ${b.targetPort} is STRICT: ${describeDecision(b.decision, b.targetPort)}.`
                  : `${b.workload.meta.namespace}/${b.workload.meta.name} port ${b.targetPort} is STRICT for ztunnel although its policy says ${b.decision.mode} (${describeDecision(b.decision, b.targetPort)}): istiod's ambient conversion does not carry that exception (see ambient-port-level-mtls).`,
              ),
            'The API server runs outside the mesh: it sends its own TLS, never Istio mTLS, and a STRICT port accepts only Istio mTLS.',
          ],
          fix: ambient
            ? `Make port ${ports.join(', ')} of the webhook's pods PERMISSIVE with a port-level exception on a selector policy that sets its own mode STRICT (what ztunnel honours): the webhook keeps its own TLS and the rest of the pod stays STRICT.`
            : `Make port ${ports.join(', ')} of the webhook's pods PERMISSIVE with a port-level exception on a selector policy, or exclude it from the sidecar (annotation traffic.sidecar.istio.io/excludeInboundPorts): the webhook keeps its own TLS and the rest of the pod stays STRICT.`,
          resource: { kind: webhook.configuration.kind, name: webhook.configuration.name },
          location: webhook.source,
          path: 'webhooks[].clientConfig.service',
          related: [first.target.ref, ...policies.map(paRef)],
          namespaces: [service.namespace],
          remediations,
        }),
      );
    }
    return findings;
  },
};
