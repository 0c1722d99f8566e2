// The posture over the last days as a small chart: the mesh score (left axis) and the count of ports
// that accept plaintext (right axis), one marker per day that has a stored digest, and a dashed rule
// on each day whose digest listed changes. Built from the store's history (the last digest of each day).
import type { TopLevelSpec } from 'vega-lite';
import { diffPosture, type Posture } from '../../digest/posture.js';
import type { Picture } from './picture.js';
import { BASE_CONFIG, type RenderedPicture, renderVegaLite } from './vega-png.js';

export const TREND_DAYS = 30;
export const SCORE_COLOR = '#1f5fa8';
export const PLAINTEXT_COLOR = '#e8590c';
export const CHANGE_COLOR = '#8a8a8a';
/** SVG units between two days, and the plot's height. */
export const DAY_STEP = 20;
export const PLOT_HEIGHT = 160;
const DAY_MS = 86_400_000;

export interface TrendDay {
  /** UTC date, YYYY-MM-DD. */
  readonly day: string;
  readonly label: string;
  readonly score: number;
  readonly plaintextPorts: number;
  /** The digest of that day (any of them) listed changes from the one before. */
  readonly changed: boolean;
}

export interface TrendModel {
  readonly title: string;
  readonly subtitle: string;
  /** Every day of the window, oldest first (the x axis), including days without a digest. */
  readonly window: readonly string[];
  readonly days: readonly TrendDay[];
  readonly alt: string;
}

/** Start of the stored history to read for a trend ending `now` (a week more, to see the first day's change). */
export function trendSince(now: Date, days = TREND_DAYS): string {
  return new Date(startOfDay(now) - (days - 1 + 7) * DAY_MS).toISOString();
}

const startOfDay = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
const label = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** `history`: the stored postures, oldest first, ending with the digest being posted. */
export function trendModel(history: readonly Posture[], now: Date, days = TREND_DAYS): TrendModel {
  const first = startOfDay(now) - (days - 1) * DAY_MS;
  const window = Array.from({ length: days }, (_, i) =>
    new Date(first + i * DAY_MS).toISOString().slice(0, 10),
  );
  const inWindow = new Set(window);
  const byDay = new Map<string, TrendDay>();
  let previous: Posture | undefined;
  for (const posture of [...history].sort((a, b) =>
    a.takenAt < b.takenAt ? -1 : a.takenAt > b.takenAt ? 1 : 0,
  )) {
    const changed = previous !== undefined && diffPosture(previous, posture).length > 0;
    previous = posture;
    const day = posture.takenAt.slice(0, 10);
    if (!inWindow.has(day)) continue;
    byDay.set(day, {
      day,
      label: label(day),
      score: posture.score,
      plaintextPorts: posture.namespaces.reduce((n, ns) => n + ns.plaintextPorts.length, 0),
      changed: (byDay.get(day)?.changed ?? false) || changed,
    });
  }
  const points = window.flatMap((d) => byDay.get(d) ?? []);
  const firstPoint = points[0];
  const lastPoint = points[points.length - 1];
  const title = `mTLS posture, last ${days} days`;
  const subtitle =
    firstPoint && lastPoint
      ? `score ${firstPoint.score} → ${lastPoint.score} · ports accepting plaintext ${firstPoint.plaintextPorts} → ${lastPoint.plaintextPorts} · dashed: days with changes`
      : 'no digest stored in these days';
  return { title, subtitle, window, days: points, alt: trendAlt(title, window, points) };
}

function trendAlt(title: string, window: readonly string[], points: readonly TrendDay[]): string {
  const from = label(window[0] as string);
  const to = label(window[window.length - 1] as string);
  const firstPoint = points[0];
  const lastPoint = points[points.length - 1];
  if (!firstPoint || !lastPoint) return `${title} (${from} to ${to}): no digest was stored in these days.`;
  const scores = points.map((p) => p.score);
  const changed = points.filter((p) => p.changed).map((p) => p.label);
  return [
    `Line chart, ${title} (${from} to ${to}), ${points.length} of ${window.length} days with a digest.`,
    `Mesh score from ${firstPoint.score} on ${firstPoint.label} to ${lastPoint.score} on ${lastPoint.label} (lowest ${Math.min(...scores)}, highest ${Math.max(...scores)}).`,
    `Ports accepting plaintext from ${firstPoint.plaintextPorts} to ${lastPoint.plaintextPorts}.`,
    changed.length ? `Changes on ${changed.join(', ')}.` : 'No changes in these days.',
  ]
    .join(' ')
    .slice(0, 1000);
}

export function trendSpec(model: TrendModel): TopLevelSpec {
  const x = {
    field: 'label',
    type: 'ordinal',
    sort: model.window.map(label),
    scale: { domain: model.window.map(label) },
    // Every fifth day labelled, the last one always.
    axis: {
      title: null,
      labelAngle: 0,
      values: model.window.filter((_, i) => (model.window.length - 1 - i) % 5 === 0).map(label),
    },
  };
  const series = (field: string, title: string, color: string, shape: string, scaleDomain?: number[]) => ({
    encoding: {
      x,
      y: {
        field,
        type: 'quantitative',
        scale: scaleDomain ? { domain: scaleDomain } : { domainMin: 0, nice: true },
        axis: {
          title,
          titleColor: color,
          orient: field === 'score' ? 'left' : 'right',
          format: 'd',
          tickMinStep: 1,
        },
      },
    },
    layer: [
      // The line is translucent so the markers keep their exact colour (tests count them).
      { mark: { type: 'line', color, opacity: 0.45, strokeWidth: 2 } },
      { mark: { type: 'point', shape, filled: true, size: 36, opacity: 1, color } },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: model.title, subtitle: model.subtitle, anchor: 'start', fontSize: 14 },
    config: { ...BASE_CONFIG, axis: { labelFontSize: 10, titleFontSize: 11, grid: false } },
    width: { step: DAY_STEP },
    height: PLOT_HEIGHT,
    data: { values: model.days as unknown as Record<string, unknown>[] },
    layer: [
      {
        transform: [{ filter: 'datum.changed' }],
        mark: { type: 'rule', color: CHANGE_COLOR, strokeDash: [4, 3], strokeWidth: 1 },
        encoding: { x },
      },
      // Plaintext first, so score markers are drawn over any they touch.
      series('plaintextPorts', 'ports accepting plaintext', PLAINTEXT_COLOR, 'square'),
      series('score', 'mesh score', SCORE_COLOR, 'circle', [0, 100]),
    ],
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

export interface TrendPicture extends RenderedPicture, Picture {
  readonly model: TrendModel;
}

export async function renderTrendPicture(history: readonly Posture[], now: Date): Promise<TrendPicture> {
  const model = trendModel(history, now);
  return {
    ...(await renderVegaLite(trendSpec(model))),
    model,
    alt: model.alt,
    title: model.title,
    filename: `mtls-posture-${now.toISOString().slice(0, 10)}.png`,
  };
}
