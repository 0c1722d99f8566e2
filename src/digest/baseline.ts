// "What changed since the last digest": a posture compared with a stored baseline, and stored as the
// next one. Only a complete read counts: PeerAuthentications that could not be read make STRICT
// namespaces look PERMISSIVE, so a posture with gaps is neither compared (its differences may be what
// could not be read) nor stored (the next digest then compares with the last complete one).
//
// Baselines are kept per scope: `mesh` (the CLI's whole-mesh digests, and the shared history of every
// scheduled digest that the trend picture draws), `namespace:<ns>` (the CLI's `-n`), and
// `digest:<channel>` (the scheduled digests of one Slack channel: each channel says what changed since
// its own last digest, not since another channel's).
import type { StateStore } from '../store/sqlite-store.js';
import { diffPosture, isComplete, type Posture, type PostureChange } from './posture.js';

export const MESH_SCOPE = 'mesh';

/** The baseline of the scheduled digests posted to one Slack channel. */
export function channelScope(channel: string): string {
  return `digest:${channel}`;
}

export interface Comparison {
  /** When the baseline was taken. */
  readonly previousAt?: string;
  readonly changes: readonly PostureChange[];
  /** Why there was a baseline but no comparison (the read was incomplete); `changes` is then empty. */
  readonly notCompared?: string;
}

export interface Baselines {
  /** Where to look for the baseline: the first of these scopes that holds a posture. */
  readonly read: readonly string[];
  /** Where this posture becomes the baseline, if it was read completely (none: only compare). */
  readonly save: readonly string[];
}

export const INCOMPLETE_READ =
  'this read is incomplete, so a difference could be what could not be read rather than a change';

export function compareWithBaseline(store: StateStore, posture: Posture, baselines: Baselines): Comparison {
  let previous: Posture | undefined;
  for (const scope of baselines.read) {
    previous = store.latestPosture(scope);
    if (previous) break;
  }
  const complete = isComplete(posture);
  if (complete) for (const scope of baselines.save) store.savePosture(scope, posture);
  if (previous && !complete)
    return { previousAt: previous.takenAt, changes: [], notCompared: INCOMPLETE_READ };
  return { previousAt: previous?.takenAt, changes: diffPosture(previous, posture) };
}

/**
 * Before baselines were kept per channel, every scheduled digest compared with and moved the one
 * `mesh` baseline. A digest channel without a baseline of its own starts from that one (the last digest
 * posted anywhere), copied before any digest is posted: so after an upgrade each channel's first digest
 * still says what changed, and two channels posting one after the other do not take it from each other.
 */
export function seedChannelBaselines(store: StateStore, channels: readonly string[]): void {
  const unseeded = [...new Set(channels)].filter((channel) => !store.latestPosture(channelScope(channel)));
  if (unseeded.length === 0) return;
  const shared = store.latestPosture(MESH_SCOPE);
  if (!shared) return;
  for (const channel of unseeded) store.savePosture(channelScope(channel), shared);
}
