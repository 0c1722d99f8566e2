// A PeerAuthentication selector or a DestinationRule subset that selects no workload: the policy does
// nothing (like istioctl's IST0173 for subsets and Kiali's KIA0004 for selectors).
import { resolveShortname } from '../mesh/hosts.js';
import { formatSelector, selectorMatches } from '../mesh/selectors.js';
import type { Labels } from '../snapshot/types.js';
import { drRef, paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

/**
 * Labels istiod adds to every endpoint from its node, cluster and network (AugmentLabels in pilot's
 * service registry): a subset may select by them, and no pod carries them itself.
 */
const ENDPOINT_LABELS = new Set([
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.istio.io/subzone',
  'topology.istio.io/cluster',
  'topology.istio.io/network',
  'kubernetes.io/hostname',
]);

/** The part of a subset's labels a pod's own labels decide (the rest come from its node). */
function podLabelsOf(labels: Labels): Labels {
  const keys = Object.keys(labels);
  if (!keys.some((k) => ENDPOINT_LABELS.has(k))) return labels;
  return Object.fromEntries(keys.filter((k) => !ENDPOINT_LABELS.has(k)).map((k) => [k, labels[k] as string]));
}

export const selectorMatchesNothing: Analyzer = {
  name: 'SelectorMatchesNothing',
  codes: ['selector-matches-nothing'],
  analyze(mesh) {
    const findings: Finding[] = [];
    // Only meaningful when the input lists the namespace's workloads.
    const hasWorkloads = (ns: string) => mesh.workloads.inNamespace(ns).length > 0;
    for (const pa of mesh.snapshot.peerAuthentications) {
      const ns = pa.meta.namespace;
      if (!pa.selector || ns === mesh.rootNamespace || !hasWorkloads(ns)) continue;
      if (mesh.workloads.select(ns, pa.selector).length > 0) continue;
      findings.push(
        finding({
          code: 'selector-matches-nothing',
          message: `PeerAuthentication ${ns}/${pa.meta.name} selects ${formatSelector(pa.selector)}, which matches no workload in ${ns}: it has no effect.`,
          why: ['A selector matches pods whose labels include every key=value of matchLabels.'],
          fix: 'Fix the labels in spec.selector.matchLabels, or delete the policy.',
          resource: paRef(pa),
          location: pa.meta.source,
          path: 'spec.selector.matchLabels',
        }),
      );
    }
    const targetsByHost = new Map(mesh.targets.map((t) => [t.host, t]));
    for (const rule of mesh.snapshot.destinationRules) {
      const target = targetsByHost.get(resolveShortname(rule.host, rule.meta.namespace));
      if (!target?.service?.selector || target.backends.length === 0) continue;
      rule.subsets.forEach((subset, index) => {
        const labels = podLabelsOf(subset.labels);
        if (target.backends.some((w) => selectorMatches(labels, w.podLabels))) return;
        findings.push(
          finding({
            code: 'selector-matches-nothing',
            message: `Subset ${subset.name} of DestinationRule ${rule.meta.namespace}/${rule.meta.name} selects ${formatSelector(subset.labels)}, but no workload behind ${target.ref.name} has those labels: traffic routed to it gets 503 "no healthy upstream".`,
            why: [`Backends of ${target.ref.name}: ${target.backends.map((w) => w.meta.name).join(', ')}.`],
            fix: 'Fix the subset labels to match the pods behind the service.',
            resource: drRef(rule),
            location: rule.meta.source,
            path: `spec.subsets[${index}].labels`,
            related: [target.ref],
          }),
        );
      });
    }
    return findings;
  },
};
