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

/**
 * Only this much of a message is scanned: an alert names its symptom and service near the top, and a
 * message (with its attachments) can run to megabytes, all read on the bot's event loop.
 */
export const MAX_SCANNED_CHARS = 20_000;

// `svc.ns.svc.cluster.local`, Envoy's `outbound|8080||svc.ns.svc.cluster.local`, `svc.ns:8080`,
// or words: "service payments in namespace prod". Each pattern runs in time linear in the text: a
// label is at most 63 characters (as in DNS), a value is taken whole (the lookahead and
// backreference stand for an atomic group), and the words may be at most 1,000 characters apart, so
// no position is retried more than a bounded number of times (an unbounded `[-a-z0-9]*` before a
// dot took seconds on a 40,000-character `a-a-a-…`).
const LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
// An alert's one-line summary can put its fields far apart; a bound keeps the scan linear.
const WORDS_APART = 1000;
const FQDN = new RegExp(`\\b(${LABEL})\\.(${LABEL})\\.svc(?:\\.cluster\\.local)?\\b`, 'i');
// Separators as aligned columns write them (`Namespace:    prod`, tabs too); the separator and value
// characters are disjoint, so a bounded run of one cannot be retried as the other.
const SEP = '[:=\\t ]{1,20}';
const WORDS = new RegExp(
  `\\bservice${SEP}(?=([a-z0-9-]{1,63}))\\1\\b[^\\n]{0,${WORDS_APART}}?\\bnamespace${SEP}(?=([a-z0-9-]{1,63}))\\2`,
  'i',
);
const NAMESPACE_ONLY = new RegExp(`\\bnamespace${SEP}"?(?=([a-z0-9-]{1,63}))\\1`, 'i');
const SERVICE_ONLY = new RegExp(`\\bservice${SEP}"?(?=([a-z0-9-]{1,63}))\\1`, 'i');

/** The first symptom in the message's first MAX_SCANNED_CHARS characters, and the service it names. */
export function findSymptom(message: string): Symptom | undefined {
  const text = message.slice(0, MAX_SCANNED_CHARS);
  const match = SYMPTOMS.map((re) => re.exec(text)).find(Boolean);
  if (!match) return undefined;
  const quote = match[0].slice(0, 200);
  const fqdn = FQDN.exec(text);
  if (fqdn) return { quote, service: fqdn[1]?.toLowerCase(), namespace: fqdn[2]?.toLowerCase() };
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
    const key = serviceKey(channel, target);
    const last = this.lastByService.get(key);
    if (last !== undefined && now - last < this.cooldownMs) return false;
    const times = (this.recent.get(channel) ?? []).filter((t) => now - t < this.windowMs);
    if (times.length >= this.perWindow) return false;
    times.push(now);
    this.recent.set(channel, times);
    this.lastByService.set(key, now);
    return true;
  }

  /**
   * Gives back the service's cooldown taken at `takenAt` when its answer could not be posted, so the
   * next alert gets one; the channel's window keeps the attempt, which bounds retries.
   */
  release(channel: string, target: string, takenAt: number): void {
    const key = serviceKey(channel, target);
    if (this.lastByService.get(key) === takenAt) this.lastByService.delete(key);
  }
}

function serviceKey(channel: string, target: string): string {
  return `${channel} ${target}`;
}
