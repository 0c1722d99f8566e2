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
  let res: Response;
  try {
    // Relative to the base URL, so a Prometheus served under a path prefix (/prometheus/) is queried there.
    const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    url.searchParams.set('query', query);
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return { ok: false, reason: unreachable(error, timeoutMs) };
  }
  let body: PrometheusAnswer;
  try {
    body = JSON.parse(await res.text()) as PrometheusAnswer;
  } catch (error) {
    if (isTimeout(error)) return { ok: false, reason: unreachable(error, timeoutMs) };
    // A proxy's error page, or a login page / 404 when the URL is not Prometheus's API.
    const type = res.headers.get('content-type') ?? 'no content type';
    const wrongPlace = res.ok || res.status === 404 ? `: is ${baseUrl} the Prometheus address?` : '';
    return {
      ok: false,
      reason: `Prometheus answered HTTP ${res.status} with ${type}, not JSON${wrongPlace}`,
    };
  }
  // Prometheus reports failed queries as {status: "error"} with a 4xx/5xx; a proxy may send only the status.
  if (!res.ok || body?.status !== 'success') {
    const detail = body?.error ? `: ${body.errorType ? `${body.errorType}: ` : ''}${body.error}` : '';
    return {
      ok: false,
      reason: res.ok
        ? `Prometheus query failed${detail || ': no error given'}`
        : `Prometheus answered HTTP ${res.status}${detail}`,
    };
  }
  const sources = (body.data?.result ?? [])
    .map((r) => ({
      workload: r.metric?.source_workload ?? 'unknown',
      namespace: r.metric?.source_workload_namespace ?? 'unknown',
      rate: Number(r.value?.[1]),
    }))
    .filter((s) => s.rate > 0)
    .sort((a, b) => b.rate - a.rate);
  return { ok: true, sources };
}

interface PrometheusAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { result?: { metric?: Record<string, string>; value?: [number, string] }[] };
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

// fetch reports every network failure as "fetch failed"; the cause says which (ECONNREFUSED, ENOTFOUND).
function unreachable(error: unknown, timeoutMs: number): string {
  if (isTimeout(error)) return `Prometheus did not answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { message?: string; code?: string } })?.cause;
  const message = cause?.message ?? (error as Error)?.message ?? String(error);
  return `Prometheus could not be reached: ${message}`;
}
