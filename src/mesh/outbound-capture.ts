// Which outbound connections of a sidecar pod reach its sidecar: the traffic.sidecar.istio.io annotations
// the injector passes to istio-iptables (injection-template.yaml: -o excludeOutboundPorts,
// -x excludeOutboundIPRanges, -i includeOutboundIPRanges, -q includeOutboundPorts). istio-iptables
// (tools/istio-iptables/pkg/capture/run.go) RETURNs excluded ports and excluded ranges first, then
// redirects included ports, then everything ("*", the default) or only the included ranges. What is not
// redirected leaves the pod as the app wrote it: plaintext.
// The address judged is the Service's clusterIP, which is what the pod's own iptables see (kube-proxy's
// DNAT happens outside the pod). Headless services and unknown addresses are not judged.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Workload } from '../snapshot/types.js';

export const OUTBOUND_EXCLUDE_PORTS = 'traffic.sidecar.istio.io/excludeOutboundPorts';
export const OUTBOUND_INCLUDE_PORTS = 'traffic.sidecar.istio.io/includeOutboundPorts';
export const OUTBOUND_EXCLUDE_RANGES = 'traffic.sidecar.istio.io/excludeOutboundIPRanges';
export const OUTBOUND_INCLUDE_RANGES = 'traffic.sidecar.istio.io/includeOutboundIPRanges';

/** The address ranges of one annotation, as istio-iptables applies them. */
export interface IpRanges {
  /** The annotation's value as written. */
  readonly text: string;
  matches(address: string): boolean;
}

export interface OutboundRanges {
  readonly excluded?: IpRanges;
  /** Only these ranges are redirected; undefined: every address ("*", the default). */
  readonly included?: IpRanges;
  /** includeOutboundPorts: redirected whatever the included ranges say (not past an exclusion). */
  readonly includedPorts?: ReadonlySet<number>;
}

/** Why a call bypasses the sidecar: the annotation that lets it out as plaintext. */
export type OutboundBypass =
  | { readonly annotation: typeof OUTBOUND_EXCLUDE_PORTS; readonly value: string }
  | {
      readonly annotation: typeof OUTBOUND_EXCLUDE_RANGES | typeof OUTBOUND_INCLUDE_RANGES;
      readonly value: string;
      readonly address: string;
    };

/**
 * The workload's outbound IP-range annotations, or undefined when it has none that take effect. A value
 * that is not a comma-separated list of CIDRs is ignored: the injector refuses to inject a pod with it
 * (pkg/kube/inject/validate.go validateCIDRList, run by RunTemplate), so no sidecar runs with it.
 */
export function outboundRanges(workload: Workload): OutboundRanges | undefined {
  const annotations = workload.podAnnotations;
  const excludeText = annotations[OUTBOUND_EXCLUDE_RANGES];
  const includeText = annotations[OUTBOUND_INCLUDE_RANGES];
  const excluded = excludeText ? parseRanges(excludeText) : undefined;
  const included = includeText !== undefined && includeText !== '*' ? parseRanges(includeText) : undefined;
  if (!excluded && !included) return undefined;
  const portsText = annotations[OUTBOUND_INCLUDE_PORTS];
  const includedPorts = portsText ? parsePortList(portsText) : undefined;
  return { ...(excluded ? { excluded } : {}), ...(included ? { included, includedPorts } : {}) };
}

/** Whether a call to `address` (a Service's clusterIP) on `port` is left out of the sidecar. */
export function rangeBypass(
  ranges: OutboundRanges,
  address: string | undefined,
  port: number,
): OutboundBypass | undefined {
  if (address === undefined) return undefined;
  if (ranges.excluded?.matches(address))
    return { annotation: OUTBOUND_EXCLUDE_RANGES, value: ranges.excluded.text, address };
  if (ranges.included && !ranges.includedPorts?.has(port) && !ranges.included.matches(address))
    return { annotation: OUTBOUND_INCLUDE_RANGES, value: ranges.included.text, address };
  return undefined;
}

/**
 * A comma-separated CIDR list as netip.ParsePrefix reads each entry (validate.go: no spaces, a prefix
 * length on every entry), or undefined when one entry is not a CIDR. An empty value is an empty list.
 */
export function parseRanges(text: string): IpRanges | undefined {
  const v4 = new BlockList();
  const v6 = new BlockList();
  if (text.length > 0) {
    for (const entry of text.split(',')) {
      const slash = entry.lastIndexOf('/');
      const address = entry.slice(0, slash);
      const bits = entry.slice(slash + 1);
      if (slash < 0 || !/^\d{1,3}$/.test(bits)) return undefined;
      const prefix = Number(bits);
      if (isIPv4(address) && prefix <= 32) v4.addSubnet(address, prefix, 'ipv4');
      else if (isIPv6(address) && !address.includes('%') && prefix <= 128)
        v6.addSubnet(address, prefix, 'ipv6');
      else return undefined;
    }
  }
  // Each family against its own rules, as istio-iptables splits them (config.go SeparateV4V6).
  return {
    text,
    matches: (address) =>
      isIPv4(address) ? v4.check(address, 'ipv4') : isIPv6(address) ? v6.check(address, 'ipv6') : false,
  };
}

/** A comma list of ports as the istio-iptables annotations write them; what is no port is skipped. */
export function parsePortList(value: string): Set<number> {
  return new Set(
    value
      .split(',')
      .map((p) => Number(p.trim()))
      .filter((p) => Number.isInteger(p) && p > 0),
  );
}
