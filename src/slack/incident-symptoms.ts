// Recognises an mTLS symptom in an incident-channel message (people or alert bots) and the service it
// names: Envoy's reset/TLS errors, Go's x509 error, OpenSSL's verify failure, a reset connection.
export interface Symptom {
  readonly quote: string;
  readonly namespace?: string;
  readonly service?: string;
}

const SYMPTOMS: readonly RegExp[] = [
  /upstream connect error or disconnect\/reset before headers[^\n]*/i,
  /x509: certificate signed by unknown authority/i,
  /CERTIFICATE_VERIFY_FAILED/i,
  /\bTLS error[^\n]*/i,
  /connection reset by peer/i,
];

// `svc.ns.svc.cluster.local`, Envoy's `outbound|8080||svc.ns.svc.cluster.local`, `svc.ns:8080`,
// or words: "service payments in namespace prod".
const FQDN =
  /\b([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?\b/i;
const WORDS = /\bservice[:= ]+([a-z0-9-]+)\b[^\n]*?\bnamespace[:= ]+([a-z0-9-]+)/i;
const NAMESPACE_ONLY = /\bnamespace[:= ]+"?([a-z0-9-]+)/i;
const SERVICE_ONLY = /\bservice[:= ]+"?([a-z0-9-]+)/i;

export function findSymptom(text: string): Symptom | undefined {
  const match = SYMPTOMS.map((re) => re.exec(text)).find(Boolean);
  if (!match) return undefined;
  const quote = match[0].slice(0, 200);
  const fqdn = FQDN.exec(text);
  if (fqdn) return { quote, service: fqdn[1]?.toLowerCase(), namespace: fqdn[3]?.toLowerCase() };
  const words = WORDS.exec(text);
  if (words) return { quote, service: words[1]?.toLowerCase(), namespace: words[2]?.toLowerCase() };
  return {
    quote,
    namespace: NAMESPACE_ONLY.exec(text)?.[1]?.toLowerCase(),
    service: SERVICE_ONLY.exec(text)?.[1]?.toLowerCase(),
  };
}

/** Per channel: at most `perWindow` diagnoses per window, and one per service per cooldown. */
export class IncidentThrottle {
  private readonly recent = new Map<string, number[]>();
  private readonly lastByService = new Map<string, number>();

  constructor(
    private readonly cooldownMs = 30 * 60_000,
    private readonly perWindow = 5,
    private readonly windowMs = 10 * 60_000,
  ) {}

  allow(channel: string, target: string, now: number): boolean {
    const key = `${channel} ${target}`;
    const last = this.lastByService.get(key);
    if (last !== undefined && now - last < this.cooldownMs) return false;
    const times = (this.recent.get(channel) ?? []).filter((t) => now - t < this.windowMs);
    if (times.length >= this.perWindow) return false;
    times.push(now);
    this.recent.set(channel, times);
    this.lastByService.set(key, now);
    return true;
  }
}
