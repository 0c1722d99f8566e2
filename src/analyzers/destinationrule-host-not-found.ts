// A DestinationRule whose host matches no Service or ServiceEntry: it applies to nothing. A dotted short
// name such as `reviews.default` is taken literally (config.go ResolveShortnameToFQDN), a classic slip.
import { CLUSTER_DOMAIN, isWildcard } from '../mesh/hosts.js';
import { drRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const destinationRuleHostNotFound: Analyzer = {
  name: 'DestinationRuleHostNotFound',
  codes: ['destinationrule-host-not-found'],
  analyze(mesh) {
    // Without any Service or ServiceEntry in the input there is nothing to compare with.
    if (mesh.targets.length === 0) return [];
    const hosts = new Set(mesh.targets.map((t) => t.host));
    const findings: Finding[] = [];
    for (const merged of mesh.destinationRules.merged) {
      if (isWildcard(merged.host) || hosts.has(merged.host)) continue;
      for (const rule of merged.rules) {
        const dotted = !merged.host.endsWith(CLUSTER_DOMAIN) && merged.host.split('.').length === 2;
        const guess = dotted ? `${merged.host}.svc.${CLUSTER_DOMAIN}` : undefined;
        findings.push(
          finding({
            code: 'destinationrule-host-not-found',
            message: `DestinationRule ${rule.meta.namespace}/${rule.meta.name} has host ${rule.host}, which matches no Service or ServiceEntry in the input: its settings apply to nothing.${guess && hosts.has(guess) ? ` A name with a dot is taken literally; did you mean ${guess}?` : ''}`,
            why: [
              "A host without a dot gets the rule's namespace appended; any dotted host is used as written.",
            ],
            fix:
              guess && hosts.has(guess)
                ? `Set spec.host to ${guess}.`
                : 'Point spec.host at an existing service (short name or full FQDN).',
            resource: drRef(rule),
            location: rule.meta.source,
            path: 'spec.host',
          }),
        );
      }
    }
    return findings;
  },
};
