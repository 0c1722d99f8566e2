// Kiali's own mTLS validation fixtures (test/fixtures/kiali, Apache-2.0) through our engine. Where we
// agree with Kiali the row says which KIA code we match; where we deliberately disagree, the reason
// by Istio's rules (research/kiali-validations.md §1.4). Rows list our error and warning findings as
// `code@namespace/name`, leaving out the policy-only reminder on every STRICT policy.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { snapshotOf } from '../helpers/mesh.js';

const AUTO_OFF = 'auto-mtls-disabled@istio-system/istio';
const AUTO_OFF_WARNING = `warning:${AUTO_OFF}`;
const AUTO_OFF_ERROR = `error:${AUTO_OFF}`;

const CASES: [file: string, expected: string[], note: string][] = [
  // KIA0207 / KIA0208: a DISABLE rule against STRICT servers.
  [
    'inline-cases/dr-nsdisable-04.yaml',
    [AUTO_OFF_ERROR, 'error:destinationrule-tls-conflict@bookinfo/disable-mtls'],
    'agrees with KIA0207',
  ],
  [
    'inline-cases/dr-nsdisable-05.yaml',
    [AUTO_OFF_ERROR, 'error:destinationrule-tls-conflict@bookinfo/disable-mtls'],
    'agrees with KIA0208; also: auto mTLS off leaves other namespaces plaintext under mesh STRICT',
  ],
  [
    'destinationrules/disabled_meshwide_checker_2.yaml',
    ['error:destinationrule-tls-conflict@bookinfo/disable-mesh-mtls'],
    'agrees with KIA0208',
  ],
  [
    'kiali-io-examples/007.yaml',
    ['error:destinationrule-tls-conflict@bookinfo/disable-mtls'],
    'agrees with KIA0207',
  ],
  [
    'kiali-io-examples/008.yaml',
    ['error:destinationrule-tls-conflict@bookinfo/default'],
    'agrees with KIA0208',
  ],
  ['inline-cases/dr-nsdisable-01.yaml', [AUTO_OFF_WARNING], 'agrees: PERMISSIVE accepts plaintext'],
  ['inline-cases/dr-nsdisable-06.yaml', [AUTO_OFF_WARNING], 'agrees'],
  ['inline-cases/dr-nsdisable-07.yaml', [AUTO_OFF_WARNING], 'agrees'],
  // KIA0505 / KIA0506: ISTIO_MUTUAL rules against DISABLE servers (we report the rule, the thing to change).
  [
    'kiali-io-examples/305.yaml',
    ['error:destinationrule-tls-conflict@bookinfo/enable-mtls'],
    'agrees with KIA0505 (on the rule)',
  ],
  [
    'kiali-io-examples/306.yaml',
    ['error:destinationrule-tls-conflict@bookinfo/enable-mtls'],
    'agrees with KIA0506 (on the rule)',
  ],
  [
    'peerauthentications/disabled_namespacewide_checker_2.yaml',
    [
      'error:destinationrule-tls-conflict@bookinfo/bookinfo-enable-mtls',
      'error:destinationrule-tls-conflict@bookinfo/details-enable-mtls',
    ],
    'KIA0505 plus the per-service rule Kiali never reads',
  ],
  [
    'peerauthentications/disabled_namespacewide_checker_1.yaml',
    ['error:destinationrule-tls-conflict@bookinfo/details-enable-mtls'],
    'disagrees (Kiali: none): the details rule sends mTLS to a DISABLE namespace',
  ],
  [
    'peerauthentications/disabled_namespacewide_checker_3.yaml',
    ['error:destinationrule-tls-conflict@bookinfo/details-enable-mtls'],
    'disagrees (Kiali: none): same details rule',
  ],
  ['peerauthentications/disabled_namespacewide_checker_5.yaml', [], 'agrees'],
  ['peerauthentications/disabled_meshwide_checker_3.yaml', [], 'agrees'],
  // KIA0401 / KIA0501 (STRICT with auto mTLS off and no ISTIO_MUTUAL rule) is our auto-mtls-disabled.
  [
    'inline-cases/pa-mesh-02.yaml',
    [AUTO_OFF_ERROR],
    'agrees with KIA0401: the bookinfo wildcard covers only bookinfo',
  ],
  ['inline-cases/pa-mesh-04.yaml', [AUTO_OFF_ERROR], 'agrees with KIA0401'],
  ['inline-cases/pa-ns-01.yaml', [AUTO_OFF_ERROR], 'agrees with KIA0501'],
  ['inline-cases/pa-ns-02.yaml', [AUTO_OFF_WARNING], 'agrees: the namespace rule sets ISTIO_MUTUAL'],
  ['inline-cases/pa-mesh-05.yaml', [AUTO_OFF_WARNING], 'agrees: PERMISSIVE'],
  [
    'inline-cases/pa-mesh-01.yaml',
    [AUTO_OFF_ERROR],
    'disagrees (Kiali: none): *.local in namespace default is not mesh-wide; Istio looks in the client, service, then root namespace',
  ],
  ['inline-cases/pa-mesh-09.yaml', [], 'agrees: auto mTLS on'],
  // KIA0205 / KIA0206 describe working configurations (the server default is PERMISSIVE).
  [
    'inline-cases/dr-meshwide-01.yaml',
    [AUTO_OFF_WARNING],
    'disagrees with KIA0205: ISTIO_MUTUAL to PERMISSIVE sidecars works',
  ],
  ['inline-cases/dr-nswide-04.yaml', [AUTO_OFF_WARNING], 'disagrees with KIA0206: same'],
  ['inline-cases/dr-meshwide-07.yaml', [], 'agrees: auto mTLS on'],
  ['inline-cases/dr-nswide-05.yaml', [], 'agrees'],
  // KIA0002 / KIA0003: several policies for one scope.
  [
    'kiali-io-examples/302.yaml',
    ['warning:peerauthentication-conflict@bookinfo/duplicate'],
    'agrees with KIA0002 (we name the one Istio ignores)',
  ],
  [
    'kiali-io-examples/303.yaml',
    ['error:peerauthentication-conflict@bookinfo/productpage-disable-80'],
    'agrees with KIA0003 (the ignored one, whose port 80 exception never applies)',
  ],
  // Root-namespace selector policies are ignored by Istio; Kiali says nothing.
  [
    'peerauthentications/disabled_meshwide_checker_1.yaml',
    [
      'error:destinationrule-tls-conflict@istio-system/grafana-enable-mtls',
      'warning:port-level-mtls-ignored@istio-system/grafana-ports-mtls-disabled',
    ],
    'disagrees (Kiali: none): the grafana rule sends mTLS into a DISABLE mesh, and a selector policy in the root namespace is ignored',
  ],
];

function ours(file: string): string[] {
  const yaml = readFileSync(new URL(`../fixtures/kiali/${file}`, import.meta.url), 'utf8');
  return diagnose(snapshotOf(yaml))
    .findings.filter(
      (f) => f.severity !== 'info' && !(f.code === 'strict-plaintext-clients' && f.severity === 'warning'),
    )
    .map((f) => `${f.severity}:${f.code}@${f.resource.namespace}/${f.resource.name}`)
    .sort();
}

describe("Kiali's validation fixtures", () => {
  it.each(CASES)('%s', (file, expected) => {
    expect(ours(file)).toEqual([...expected].sort());
  });
});
