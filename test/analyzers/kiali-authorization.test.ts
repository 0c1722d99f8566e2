// Kiali's KIA0105 fixtures (test/fixtures/kiali/authorization: an AuthorizationPolicy that "needs mTLS"
// where mTLS is not enabled) through our engine. Kiali judges from namespace- and mesh-level settings
// alone; we judge the calls. Each fixture gets the workloads Kiali's test implies (productpage, ratings,
// details and a sidecar client, reviews, in the injected namespace bookinfo; the caller their principals
// name in default: the only one whose identity they let in), with auto mTLS on and off.
// A row lists our error findings (leaving out the auto-mtls-disabled warning every "off" run has) and,
// where we differ from Kiali, why by Istio's rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import { app, meshConfig, namespace, snapshotOf } from '../helpers/mesh.js';

const ARM = 'error:authorization-requires-mtls@bookinfo/policy';
const AUTO_OFF = 'error:auto-mtls-disabled@istio-system/istio';
const NS_MUTUAL = 'error:destinationrule-tls-conflict@bookinfo/mtls-strict-namespace';

type Kiali = 'KIA0105' | 'none' | 'untested';
const CASES: [
  file: number | string,
  kiali: [on: Kiali, off: Kiali],
  on: string[],
  off: string[],
  note: string,
][] = [
  [
    1,
    ['none', 'KIA0105'],
    [],
    [ARM],
    'agrees: with auto mTLS off, sidecar clients send plaintext to the PERMISSIVE server',
  ],
  [
    2,
    ['none', 'KIA0105'],
    [],
    [AUTO_OFF],
    'agrees that calls fail, not why: with auto off the STRICT server resets the plaintext before any policy sees it',
  ],
  [3, ['none', 'KIA0105'], [], [ARM], 'agrees'],
  [4, ['none', 'none'], [], [], 'agrees'],
  [5, ['none', 'none'], [], [], 'agrees'],
  [
    6,
    ['none', 'KIA0105'],
    [],
    [],
    'disagrees: an ISTIO_MUTUAL DestinationRule to a PERMISSIVE (default) sidecar is mTLS with the caller identity; Kiali wants a PeerAuthentication too',
  ],
  [7, ['KIA0105', 'KIA0105'], [ARM], [ARM], 'agrees: DISABLE makes auto mTLS send plaintext'],
  [
    71,
    ['none', 'none'],
    [],
    [],
    'agrees: an ALLOW policy without rules denies every caller, mTLS or not: not an mTLS problem',
  ],
  [8, ['KIA0105', 'KIA0105'], [ARM], [ARM], 'agrees: the namespace DestinationRule DISABLE sends plaintext'],
  [9, ['KIA0105', 'KIA0105'], [ARM], [ARM], 'agrees'],
  [
    10,
    ['KIA0105', 'KIA0105'],
    [ARM],
    [ARM],
    'agrees: the root namespace `*.local` rule DISABLE serves every client',
  ],
  [101, ['none', 'none'], [], [], 'agrees (an ALLOW policy without rules)'],
  [11, ['none', 'KIA0105'], [], [ARM], 'agrees'],
  [
    12,
    ['none', 'KIA0105'],
    [],
    [],
    'disagrees: the mesh ISTIO_MUTUAL rule gives every call an identity; PERMISSIVE accepts it',
  ],
  [13, ['none', 'none'], [], [], 'agrees'],
  [14, ['none', 'none'], [], [], 'agrees'],
  [
    15,
    ['KIA0105', 'KIA0105'],
    ['error:destinationrule-tls-conflict@bookinfo/disable-mtls'],
    ['error:destinationrule-tls-conflict@bookinfo/disable-mtls'],
    'agrees that calls fail, not why: the rule DISABLE sends plaintext to a STRICT mesh, which resets it before any policy',
  ],
  [16, ['KIA0105', 'KIA0105'], [ARM], [ARM], 'agrees'],
  [17, ['KIA0105', 'KIA0105'], [ARM], [ARM], 'agrees'],
  [18, ['none', 'none'], [], [], 'agrees: a DENY rule on principals denies no plaintext call'],
  [
    19,
    ['untested', 'KIA0105'],
    [NS_MUTUAL],
    [NS_MUTUAL],
    'differs: the DENY rule on principals cannot match the plaintext calls to ratings (DISABLE), so it denies nothing: Kiali warns that it is bypassed, we report only calls that fail (here the MUTUAL rule towards STRICT pods)',
  ],
  [
    20,
    ['KIA0105', 'untested'],
    [],
    [AUTO_OFF],
    'differs: as 19, the DENY rule is bypassed by plaintext, no call fails because of it',
  ],
  [
    21,
    ['none', 'none'],
    [NS_MUTUAL],
    [NS_MUTUAL],
    'agrees on the policy (the MUTUAL rule is another finding)',
  ],
  [22, ['KIA0105', 'KIA0105'], [NS_MUTUAL], [NS_MUTUAL], 'differs: as 19, a bypassed DENY rule'],
  [
    23,
    ['none', 'KIA0105'],
    [],
    [ARM],
    'agrees: `bookinfo*` needs the caller namespace, which plaintext lacks',
  ],
];

const WORKLOADS = [
  namespace('istio-system', 'none'),
  namespace('bookinfo'),
  // The caller the fixtures' principals name (cluster.local/ns/default/sa/bookinfo-productpage).
  namespace('default'),
  app('default', 'bookinfo-productpage'),
  ...['productpage', 'ratings', 'details', 'reviews'].map((name) =>
    app('bookinfo', name, { port: 9080, targetPort: 9080 }),
  ),
].join('');

// Kiali's test replaces the fixtures' Services (some without a name) by one of its own.
function fixture(file: string): string {
  const text = readFileSync(new URL(`../fixtures/kiali/authorization/${file}`, import.meta.url), 'utf8');
  return text
    .split(/^---$/m)
    .filter((doc) => !/^kind: Service$/m.test(doc))
    .join('---');
}

function ours(yaml: string, autoMtls: boolean): string[] {
  const all = `${yaml}\n${WORKLOADS}${autoMtls ? '' : meshConfig('enableAutoMtls: false')}`;
  return diagnose(snapshotOf(all))
    .findings.filter((f) => f.severity === 'error')
    .map((f) => `${f.severity}:${f.code}@${f.resource.namespace}/${f.resource.name}`)
    .sort();
}

describe("Kiali's KIA0105 fixtures (AuthorizationPolicy needing mTLS)", () => {
  it.each(CASES)('mtls_enabled_checker_%s', (n, _kiali, on, off) => {
    const yaml = fixture(`mtls_enabled_checker_${n}.yaml`);
    expect(ours(yaml, true)).toEqual(on);
    expect(ours(yaml, false)).toEqual(off);
  });

  // Without workloads (a repository of policies) we judge only where the policies alone decide: a
  // PeerAuthentication DISABLE over the selected workloads makes every call plaintext. Kiali flags the
  // rest too (auto mTLS off, DestinationRules DISABLE), which depends on callers the input lacks.
  it('policies alone: only under a PeerAuthentication DISABLE (fixtures 7 and 9), as a warning with its fix', () => {
    const flagged = CASES.map(([n]) => n).filter((n) =>
      diagnose(snapshotOf(fixture(`mtls_enabled_checker_${n}.yaml`))).findings.some(
        (f) => f.code === 'authorization-requires-mtls',
      ),
    );
    expect(flagged).toEqual([7, 9]);
    const plans = (n: number) =>
      diagnose(snapshotOf(fixture(`mtls_enabled_checker_${n}.yaml`)))
        .findings.filter((f) => f.code === 'authorization-requires-mtls')
        .map((f) => [
          f.severity,
          f.message.includes('judged from the policies alone'),
          f.remediations.map((p) => p.id),
        ]);
    expect(plans(7)).toEqual([
      ['warning', true, ['set-mode-permissive:PeerAuthentication/bookinfo/default']],
    ]);
    expect(plans(9)).toEqual([['warning', true, ['create-permissive:PeerAuthentication/bookinfo/default']]]);
  });

  // Kiali's needsMtls(): which fields "need mTLS". By Istio's rules what matters is whether a call
  // without an identity can match: each policy alone, as ALLOW, on productpage, with a client without
  // a proxy calling it.
  it('authz_policy_requires_mtls: a plaintext call is denied where the policy can only match an identity', () => {
    const docs = readFileSync(
      new URL('../fixtures/kiali/authorization/authz_policy_requires_mtls.yaml', import.meta.url),
      'utf8',
    ).split(/^---$/m);
    const denied: Record<string, boolean> = {};
    for (const doc of docs) {
      const name = /name: (policy-\d+)/.exec(doc)?.[1] as string;
      const mesh = new ResolvedMesh(
        snapshotOf(`${doc}\n${WORKLOADS}${namespace('legacy', 'none')}${app('legacy', 'batch')}`),
      );
      const server = mesh.snapshot.workloads.find((w) => w.meta.name === 'productpage');
      denied[name] =
        !!server &&
        !!mesh.authorization.denialWithoutIdentity(server, {
          port: 9080,
          enforcer: 'sidecar',
          chain: 'http',
        });
    }
    expect(denied).toEqual({
      // Kiali: needs mTLS. Agreed: the rules ask for a peer principal or namespace.
      'policy-0': true,
      'policy-3': true,
      'policy-4': true,
      'policy-8': true,
      // Kiali: needs mTLS. A call without an identity matches notPrincipals/notNamespaces, so an ALLOW
      // rule lets it in (the policy restricts nothing there); connection.sni is no identity at all
      // (Istio's advisory ISTIO-SECURITY-2021-004 lists only principals and namespaces).
      'policy-1': false,
      'policy-5': false,
      'policy-9': false,
      // Kiali: does not need mTLS. Agreed; policy-6 (no rules) denies everyone, mTLS or not.
      'policy-2': false,
      'policy-6': false,
      'policy-7': false,
      'policy-10': false,
    });
  });
});
