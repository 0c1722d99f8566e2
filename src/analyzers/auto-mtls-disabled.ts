// Field guide error 5: `enableAutoMtls: false`, so sidecar clients without a DestinationRule that sets
// ISTIO_MUTUAL send plaintext (cluster_tls.go buildUpstreamTLSSettings) and STRICT servers reset them.
import { enableAutoMtls } from '../remediation/plans.js';
import type { Ref } from '../snapshot/types.js';
import { affectedNamespaces, describeClients, failuresWithReason } from './connectivity-failures.js';
import { describeBackendServer, describeTargets, firstSymptom } from './explain.js';
import { type Analyzer, finding } from './finding.js';

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
