// Field guide error 5: `enableAutoMtls: false`, so sidecar clients without a DestinationRule that sets
// ISTIO_MUTUAL send plaintext (cluster_tls.go buildUpstreamTLSSettings) and STRICT servers reset them.
import { SYMPTOMS } from '../mesh/connectivity.js';
import { enableAutoMtls } from '../remediation/plans.js';
import type { Ref } from '../snapshot/types.js';
import { affectedNamespaces, describeClients, failuresWithReason } from './connectivity-failures.js';
import { describeBackendServer, describeTargets, firstSymptom } from './explain.js';
import { type Analyzer, finding } from './finding.js';
import { OTHER_NAMESPACE, strictNamespacesWithoutMutualRule } from './policy-only-conflicts.js';

export const autoMtlsDisabled: Analyzer = {
  name: 'AutoMtlsDisabled',
  codes: ['auto-mtls-disabled'],
  analyze(mesh) {
    const config = mesh.snapshot.meshConfig;
    if (config.enableAutoMtls) return [];
    const source: Ref = config.source ?? { kind: 'ConfigMap', namespace: mesh.rootNamespace, name: 'istio' };
    const plan = enableAutoMtls(config.source, config.meshText);
    const failures = failuresWithReason(mesh, 'auto-mtls-disabled');
    const where = `${source.kind} ${source.namespace}/${source.name}`;
    const why = [
      `${where} sets enableAutoMtls: false: without a DestinationRule that sets tls, a sidecar sends plaintext whatever the server needs.`,
    ];
    const uncovered = mesh.snapshot.workloads.length === 0 ? strictNamespacesWithoutMutualRule(mesh) : [];
    if (failures.length === 0 && uncovered.length > 0) {
      const names = uncovered.map((u) =>
        u.namespace === OTHER_NAMESPACE ? 'namespaces the input does not name' : u.namespace,
      );
      return [
        finding({
          code: 'auto-mtls-disabled',
          message: `Auto mTLS is off and services in ${names.join(', ')} are STRICT with no DestinationRule that sets ISTIO_MUTUAL for them: sidecar clients send plaintext and are reset (${SYMPTOMS.reset}). The input has no workloads, so this is judged from the policies alone.`,
          why: [
            ...why,
            ...uncovered
              .filter((u) => u.policy)
              .map(
                (u) => `PeerAuthentication ${u.policy?.meta.namespace}/${u.policy?.meta.name} sets STRICT.`,
              ),
          ],
          fix: 'Enable auto mTLS (enableAutoMtls: true), or add DestinationRules with tls.mode ISTIO_MUTUAL covering these namespaces.',
          resource: source,
          location: config.source?.location,
          path: 'enableAutoMtls',
          related: uncovered.flatMap((u) =>
            u.policy
              ? [{ kind: 'PeerAuthentication', namespace: u.policy.meta.namespace, name: u.policy.meta.name }]
              : [],
          ),
          namespaces: uncovered.map((u) => u.namespace).filter((ns) => ns !== OTHER_NAMESPACE),
          remediations: [plan],
        }),
      ];
    }
    if (failures.length === 0) {
      return [
        finding({
          code: 'auto-mtls-disabled',
          severity: 'warning',
          message:
            'Auto mTLS is off: sidecar clients send plaintext unless a DestinationRule sets ISTIO_MUTUAL. Nothing in the input breaks yet, but any server that turns STRICT will reset those clients.',
          why,
          fix: 'Enable auto mTLS (enableAutoMtls: true, the default), or cover every host with a DestinationRule that sets ISTIO_MUTUAL before going STRICT.',
          resource: source,
          location: config.source?.location,
          path: 'enableAutoMtls',
          remediations: [plan],
        }),
      ];
    }
    const first = failures[0];
    return [
      finding({
        code: 'auto-mtls-disabled',
        message: `Auto mTLS is off, so sidecar clients (${describeClients(failures)}) send plaintext to ${describeTargets(failures)}, which require mTLS. Callers see: ${firstSymptom(failures)}.`,
        why: first?.backends[0] ? [...why, describeBackendServer(first.backends[0])] : why,
        fix: 'Enable auto mTLS (enableAutoMtls: true), or add DestinationRules with tls.mode ISTIO_MUTUAL for these hosts.',
        resource: source,
        location: config.source?.location,
        path: 'enableAutoMtls',
        related: failures.slice(0, 20).map((f) => f.target.ref),
        namespaces: affectedNamespaces(mesh, failures),
        remediations: [plan],
      }),
    ];
  },
};
