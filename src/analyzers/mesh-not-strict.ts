// Migration posture (field guide: PERMISSIVE -> sidecars everywhere -> STRICT per namespace -> mesh
// STRICT): where the mesh or a namespace still accepts plaintext, and the next safe step there.

import { webhooksBrokenByStrict } from '../mesh/webhooks.js';
import type { RemediationPlan } from '../remediation/plans.js';
import { isIstioNamespace, isNeverInjected } from '../snapshot/proxy-status.js';
import { paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { namespaceModeFix } from './namespace-policy-fix.js';
import { portExceptionFor } from './port-exception.js';

export const meshNotStrict: Analyzer = {
  name: 'MeshNotStrict',
  codes: ['mesh-not-strict'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const index = mesh.peerAuthentications;
    const namespaces = new Set(mesh.snapshot.workloads.map((w) => w.meta.namespace));
    for (const ns of [...namespaces].sort()) {
      // Istio's own namespace and those its injector skips are not steps of the migration.
      if (isIstioNamespace(ns, mesh.rootNamespace) || isNeverInjected(ns)) continue;
      const workloads = mesh.workloads.inNamespace(ns);
      const mode = index.namespaceMode(ns)?.mode ?? 'PERMISSIVE';
      if (mode === 'STRICT') continue;
      // Workload-level policies may already make every workload STRICT.
      const open = workloads.filter((w) => w.proxy === 'none' || index.forWorkload(w).base.mode !== 'STRICT');
      if (open.length === 0) continue;
      const withoutProxy = workloads.filter((w) => w.proxy === 'none');
      const nsPolicy = index.namespacePolicy(ns);
      // Webhook ports that inherit the namespace's mode would reset the API server once it is STRICT:
      // they keep a PERMISSIVE exception first.
      const webhooks = webhooksBrokenByStrict(mesh, ns);
      const keep = webhooks
        .slice(0, 3)
        .map((e) => `port ${e.targetPort} of ${e.workload.meta.name} (admission webhook ${e.webhook.name})`);
      const step =
        withoutProxy.length > 0
          ? `next step: add sidecars to ${withoutProxy.length} of ${workloads.length} workloads (${withoutProxy
              .slice(0, 3)
              .map((w) => w.meta.name)
              .join(', ')}), then switch to STRICT`
          : webhooks.length > 0
            ? `next step: every workload has a proxy; the API server (no sidecar) calls ${keep.join(', ')}${webhooks.length > 3 ? ' and more' : ''}: keep ${webhooks.length > 1 ? 'those ports' : 'that port'} PERMISSIVE with a port-level exception, then switch the namespace to STRICT`
            : 'next step: every workload has a proxy; verify mTLS traffic, then switch the namespace to STRICT';
      const remediations: RemediationPlan[] = [];
      if (withoutProxy.length === 0 && webhooks.length > 0) {
        for (const e of webhooks.slice(0, 3)) {
          const selector = e.target.service?.selector;
          if (selector) remediations.push(...portExceptionFor(mesh, e.workload, selector, e.targetPort));
        }
      } else if (withoutProxy.length === 0) {
        remediations.push(namespaceModeFix(mesh, ns, 'STRICT'));
      }
      findings.push(
        finding({
          code: 'mesh-not-strict',
          message: `Namespace ${ns} accepts plaintext (${mode}) on ${open.length} of ${workloads.length} workloads; ${step}.`,
          why: [
            nsPolicy
              ? `PeerAuthentication ${ns}/${nsPolicy.meta.name} sets ${nsPolicy.mode ?? 'UNSET'}.`
              : `No namespace policy; the mesh level gives ${mode}.`,
          ],
          fix: 'Follow the migration path: PERMISSIVE, sidecars everywhere, STRICT per namespace, then mesh-wide STRICT.',
          resource: nsPolicy ? paRef(nsPolicy) : { kind: 'Namespace', name: ns },
          location: nsPolicy?.meta.source,
          namespaces: [ns],
          remediations,
        }),
      );
    }
    const meshMode = index.meshPolicy?.mode;
    if (meshMode !== 'STRICT' && mesh.snapshot.workloads.length > 0) {
      findings.push(
        finding({
          code: 'mesh-not-strict',
          message: `The mesh-wide policy is ${meshMode && meshMode !== 'UNSET' ? meshMode : 'not set (PERMISSIVE)'}: namespaces without their own STRICT policy accept plaintext. Make the mesh STRICT once every namespace is.`,
          why: [
            index.meshPolicy
              ? `PeerAuthentication ${mesh.rootNamespace}/${index.meshPolicy.meta.name} is the mesh policy.`
              : `No selector-less PeerAuthentication in the root namespace ${mesh.rootNamespace}.`,
          ],
          fix: `Last migration step: a STRICT PeerAuthentication named default in ${mesh.rootNamespace}.`,
          resource: index.meshPolicy
            ? paRef(index.meshPolicy)
            : { kind: 'Namespace', name: mesh.rootNamespace },
          location: index.meshPolicy?.meta.source,
        }),
      );
    }
    return findings;
  },
};
