// Objects meant as a kind the analysis reads but written so that it would skip them: `kind:
// Peerauthentication`, a PeerAuthentication under networking.istio.io, a List inside a List. Skipping
// them would judge the mesh without them (a false "no problems"); kubectl rejects all of these, so
// they are bad input.

/** The Istio kinds the analysis reads, each with the one group it lives in. */
const ISTIO_KINDS: ReadonlyMap<string, string> = new Map([
  ['PeerAuthentication', 'security.istio.io'],
  ['AuthorizationPolicy', 'security.istio.io'],
  ['DestinationRule', 'networking.istio.io'],
  ['ServiceEntry', 'networking.istio.io'],
  ['VirtualService', 'networking.istio.io'],
  ['Sidecar', 'networking.istio.io'],
  ['IstioOperator', 'install.istio.io'],
]);

const BY_LOWER_CASE = new Map([...ISTIO_KINDS.keys()].map((kind) => [kind.toLowerCase(), kind]));

/**
 * Why an object the analysis did not read is misread input, or undefined when skipping it is right
 * (a kind it does not need, such as Telemetry or an EnvoyFilter).
 */
export function misreadKind(
  kind: string,
  group: string,
  object: Readonly<Record<string, unknown>>,
): { readonly field: 'kind' | 'apiVersion'; readonly problem: string } | undefined {
  if (/List$/.test(kind) && Array.isArray(object.items))
    return { field: 'kind', problem: `a ${kind} inside a List: give its items directly` };
  const meant = BY_LOWER_CASE.get(kind.toLowerCase());
  if (!meant) return undefined;
  const home = ISTIO_KINDS.get(meant) as string;
  if (meant !== kind && (group === home || group.endsWith('.istio.io')))
    return { field: 'kind', problem: `kind ${kind} is not an Istio kind: did you mean ${meant}?` };
  if (meant === kind && group !== home && group.endsWith('istio.io'))
    return { field: 'apiVersion', problem: `${kind} belongs to ${home}, not ${group}` };
  return undefined;
}
