// Builds a digest message for Slack: the current posture (from a worker), what changed since the last
// stored one, and, where Prometheus is configured, the clients actually seen sending plaintext to
// namespaces that are otherwise ready for STRICT.
import { channelScope, compareWithBaseline, MESH_SCOPE } from '../digest/baseline.js';
import type { Posture } from '../digest/posture.js';
import { plaintextSources } from '../digest/prometheus.js';
import type { SlackMessage } from '../render/blocks.js';
import { type Digest, digestMessage } from '../render/digest.js';
import type { StateStore } from '../store/sqlite-store.js';

export interface DigestOptions {
  /** The channel the digest goes to: its own baseline is the one compared with. */
  readonly channel: string;
  /**
   * Scheduled digests store this posture as the channel's new baseline and in the shared history (the
   * trend picture); on-demand ones only compare. One read incompletely is never stored.
   */
  readonly save: boolean;
  readonly prometheusUrl?: string;
}

export async function buildDigestMessage(
  posture: Posture,
  store: StateStore,
  options: DigestOptions,
): Promise<{ digest: Digest; message: SlackMessage }> {
  const own = channelScope(options.channel);
  // A scheduled digest compares with its channel's own baseline only (seeded from the shared one at
  // start, seedChannelBaselines): the shared one may have just been moved by another channel's digest.
  // On demand, a channel without scheduled digests compares with the last one posted anywhere.
  const baselines = options.save
    ? { read: [own], save: [own, MESH_SCOPE] }
    : { read: [own, MESH_SCOPE], save: [] };
  const digest: Digest = {
    posture: await withObservedPlaintext(posture, options.prometheusUrl),
    ...compareWithBaseline(store, posture, baselines),
  };
  return { digest, message: digestMessage(digest) };
}

// For namespaces one step from STRICT, say who really still sends plaintext (at most 10 queries).
async function withObservedPlaintext(posture: Posture, prometheusUrl: string | undefined): Promise<Posture> {
  if (!prometheusUrl) return posture;
  const ready = posture.namespaces.filter((n) => n.stage === 'switch-to-strict').slice(0, 10);
  const observed = new Map<string, string>();
  await Promise.all(
    ready.map(async (n) => {
      const result = await plaintextSources(prometheusUrl, n.namespace);
      observed.set(
        n.namespace,
        result.ok
          ? result.sources.length
            ? `seen sending plaintext in the last day: ${result.sources
                .slice(0, 5)
                .map((s) => `${s.namespace}/${s.workload} (${s.rate.toFixed(2)}/s)`)
                .join(', ')}`
            : 'no plaintext traffic seen in the last day: safe to switch to STRICT'
          : `plaintext traffic unknown (${result.reason})`,
      );
    }),
  );
  return {
    ...posture,
    namespaces: posture.namespaces.map((n) =>
      observed.has(n.namespace) ? { ...n, nextStep: `${n.nextStep}; ${observed.get(n.namespace)}` } : n,
    ),
  };
}
