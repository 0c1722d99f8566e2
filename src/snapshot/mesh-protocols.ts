// Which ports the mesh carries at all. istio-iptables redirects only TCP (its PREROUTING and OUTPUT
// rules are `-p tcp`; UDP only for DNS capture), istiod builds no listener or cluster for a UDP port
// (a ServiceEntry's UDP protocol is unsupported), and ztunnel carries TCP only. A UDP or SCTP call
// goes straight from pod to pod: no PeerAuthentication or DestinationRule applies to it.

/** Whether calls on a port of this Kubernetes or Istio protocol pass the proxies (undefined: TCP). */
export function carriesMeshTraffic(protocol: string | undefined): boolean {
  const p = (protocol ?? '').toUpperCase();
  return p !== 'UDP' && p !== 'SCTP';
}
