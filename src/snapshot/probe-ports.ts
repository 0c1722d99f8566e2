// The ports kubelet's httpGet and gRPC probes call: what Istio's probe rewrite would move to the agent.
// Resolved as kubelet does (pkg/kubelet/prober/prober.go extractPort): a number, else a port name of
// the probe's own container, else a number written as a string. A name that resolves to nothing is
// left out: kubelet fails that probe whatever Istio does.

interface ProbedContainer {
  readonly ports?: readonly { readonly containerPort: number; readonly name?: string }[] | null;
  readonly livenessProbe?: Probe | null;
  readonly readinessProbe?: Probe | null;
  readonly startupProbe?: Probe | null;
}

interface Probe {
  readonly httpGet?: unknown;
  readonly grpc?: unknown;
}

export function httpProbePorts(containers: readonly ProbedContainer[]): number[] {
  const ports = new Set<number>();
  for (const c of containers) {
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      const action = probe?.httpGet ?? probe?.grpc;
      if (typeof action !== 'object' || action === null) continue;
      const port = resolvePort((action as { port?: unknown }).port, c);
      if (port !== undefined) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

function resolvePort(port: unknown, container: ProbedContainer): number | undefined {
  let n: number | undefined;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string') {
    n = container.ports?.find((p) => p.name === port)?.containerPort;
    if (n === undefined && /^\d+$/.test(port)) n = Number(port);
  }
  return n !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}
