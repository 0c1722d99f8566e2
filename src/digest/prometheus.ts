// Who actually sends plaintext to a namespace, from Istio's standard metrics in Prometheus: requests and
// TCP connections whose connection_security_policy is not mutual_tls, as the server side reports them.
export interface PlaintextSource {
  readonly workload: string;
  readonly namespace: string;
  readonly rate: number;
}

export type PrometheusResult =
  | { readonly ok: true; readonly sources: PlaintextSource[] }
  | { readonly ok: false; readonly reason: string };

export async function plaintextSources(
  baseUrl: string,
  namespace: string,
  window = '1d',
  timeoutMs = 10_000,
): Promise<PrometheusResult> {
  const selector = `reporter="destination",destination_workload_namespace="${namespace}",connection_security_policy!="mutual_tls"`;
  const query = [
    `sum by (source_workload, source_workload_namespace) (rate(istio_requests_total{${selector}}[${window}]))`,
    `sum by (source_workload, source_workload_namespace) (rate(istio_tcp_connections_opened_total{${selector}}[${window}]))`,
  ].join(' or ');
  try {
    const url = new URL('/api/v1/query', baseUrl);
    url.searchParams.set('query', query);
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { ok: false, reason: `Prometheus answered HTTP ${res.status}` };
    const body = (await res.json()) as {
      status?: string;
      error?: string;
      data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success')
      return { ok: false, reason: `Prometheus query failed: ${body.error ?? 'unknown error'}` };
    const sources = (body.data?.result ?? [])
      .map((r) => ({
        workload: r.metric.source_workload ?? 'unknown',
        namespace: r.metric.source_workload_namespace ?? 'unknown',
        rate: Number(r.value[1]),
      }))
      .filter((s) => s.rate > 0)
      .sort((a, b) => b.rate - a.rate);
    return { ok: true, sources };
  } catch (error) {
    return { ok: false, reason: `Prometheus could not be queried: ${(error as Error).message}` };
  }
}
