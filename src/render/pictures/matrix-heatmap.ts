// The connectivity matrix as a heat map: client workloads (sorted by namespace) down, service ports
// across, each cell green when the call works and coloured by the reason code when it fails. Past
// `maxRows` clients, each namespace's clients become one row showing the share that fails; past
// `maxColumns` ports, the ports with the most failures are kept and the rest counted in the subtitle.
import type { TopLevelSpec } from 'vega-lite';
import type { MatrixPair } from '../../engine/matrix.js';
import { sanitizeText } from '../sanitize.js';
import type { Picture } from './picture.js';
import { BASE_CONFIG, type RenderedPicture, renderVegaLite } from './vega-png.js';

export const OK_COLOR = '#4daf4a';
/** Failure reasons, most frequent first, get these in order; any further reasons share the last. */
export const FAIL_COLORS = [
  '#d62728',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
] as const;
export const OTHER_REASONS = 'other reasons';
/** Cell edge in SVG units (the PNG is drawn at twice that). */
export const CELL = 18;
export const DEFAULT_MAX_ROWS = 40;
export const DEFAULT_MAX_COLUMNS = 40;

export interface HeatmapCell {
  readonly row: string;
  readonly column: string;
  /** `ok`, or the failure reason shown (the most common one among a group's clients). */
  readonly outcome: string;
  readonly failing: number;
  readonly total: number;
  /** Share failing, printed in grouped cells that have failures. */
  readonly label: string;
}

export interface HeatmapModel {
  readonly title: string;
  readonly subtitle: string[];
  /** Top to bottom, left to right: the order the cells are drawn in. */
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly cells: readonly HeatmapCell[];
  /** Clients were merged into one row per namespace. */
  readonly grouped: boolean;
  /** The legend's entries and their colours (`ok` first). */
  readonly legend: readonly { readonly outcome: string; readonly color: string }[];
  /** The same picture in words, for screen readers (Slack's alt text). */
  readonly alt: string;
}

export interface HeatmapOptions {
  readonly title: string;
  readonly maxRows?: number;
  readonly maxColumns?: number;
}

const namespaceOf = (name: string) => name.slice(0, name.indexOf('/'));

// ns/name:port, numbers in names and ports compared as numbers (svc-2 before svc-10, 80 before 443).
function byServicePort(a: string, b: string): number {
  const [ha, pa] = [a.slice(0, a.lastIndexOf(':')), Number(a.slice(a.lastIndexOf(':') + 1))];
  const [hb, pb] = [b.slice(0, b.lastIndexOf(':')), Number(b.slice(b.lastIndexOf(':') + 1))];
  return ha.localeCompare(hb, 'en', { numeric: true }) || pa - pb;
}

export function heatmapModel(pairs: readonly MatrixPair[], options: HeatmapOptions): HeatmapModel {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const maxColumns = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
  const failing = pairs.filter((p) => p.outcome === 'fail');

  // Reasons by frequency: the legend's order and the colours.
  const reasonCounts = countBy(failing, (p) => p.reason);
  const reasons = [...reasonCounts.keys()].sort(
    (a, b) => (reasonCounts.get(b) ?? 0) - (reasonCounts.get(a) ?? 0) || (a < b ? -1 : 1),
  );
  const named = reasons.length > FAIL_COLORS.length ? reasons.slice(0, FAIL_COLORS.length - 1) : reasons;
  const shownReason = (reason: string) => (named.includes(reason) ? reason : OTHER_REASONS);

  // Columns: every service port, or the ones with most failures (then shown in name order).
  const allColumns = [...new Set(pairs.map((p) => p.to))].sort(byServicePort);
  const failsByColumn = countBy(failing, (p) => p.to);
  const columns =
    allColumns.length <= maxColumns
      ? allColumns
      : [...allColumns]
          .sort((a, b) => (failsByColumn.get(b) ?? 0) - (failsByColumn.get(a) ?? 0) || byServicePort(a, b))
          .slice(0, maxColumns)
          .sort(byServicePort);
  const shownColumns = new Set(columns);

  // Rows: every client, or one per namespace (the namespaces with most failures past maxRows).
  const clients = [...new Set(pairs.map((p) => p.from))].sort();
  const grouped = clients.length > maxRows;
  const rowOf = new Map<string, string>();
  if (!grouped) for (const c of clients) rowOf.set(c, c);
  else {
    const byNamespace = new Map<string, string[]>();
    for (const c of clients) byNamespace.set(namespaceOf(c), [...(byNamespace.get(namespaceOf(c)) ?? []), c]);
    const failsByNamespace = countBy(failing, (p) => namespaceOf(p.from));
    let namespaces = [...byNamespace.keys()];
    let rest: string[] = [];
    if (namespaces.length > maxRows) {
      namespaces.sort(
        (a, b) => (failsByNamespace.get(b) ?? 0) - (failsByNamespace.get(a) ?? 0) || (a < b ? -1 : 1),
      );
      rest = namespaces.slice(maxRows - 1);
      namespaces = namespaces.slice(0, maxRows - 1).sort();
    }
    for (const ns of namespaces) {
      const members = byNamespace.get(ns) ?? [];
      for (const c of members) rowOf.set(c, `${ns}/* (${plural(members.length, 'client')})`);
    }
    const restClients = rest.flatMap((ns) => byNamespace.get(ns) ?? []);
    for (const c of restClients)
      rowOf.set(c, `${rest.length} other namespaces (${plural(restClients.length, 'client')})`);
  }
  const rows = [...new Set([...rowOf.values()])];

  // Cells: count failures and their reasons per (row, column).
  const tally = new Map<string, { failing: number; total: number; reasons: Map<string, number> }>();
  for (const p of pairs) {
    if (!shownColumns.has(p.to)) continue;
    const key = `${rowOf.get(p.from)}\u0000${p.to}`;
    const t = tally.get(key) ?? { failing: 0, total: 0, reasons: new Map() };
    t.total++;
    if (p.outcome === 'fail') {
      t.failing++;
      const r = shownReason(p.reason);
      t.reasons.set(r, (t.reasons.get(r) ?? 0) + 1);
    }
    tally.set(key, t);
  }
  const cells: HeatmapCell[] = [];
  for (const row of rows) {
    for (const column of columns) {
      const t = tally.get(`${row}\u0000${column}`);
      if (!t) continue;
      const top = [...t.reasons.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
      cells.push({
        row: sanitizeText(row),
        column: sanitizeText(column),
        outcome: top ? top[0] : 'ok',
        failing: t.failing,
        total: t.total,
        label: grouped && t.failing > 0 ? String(Math.round((t.failing / t.total) * 100)) : '',
      });
    }
  }

  const legendReasons = reasons.length > named.length ? [...named, OTHER_REASONS] : named;
  const legend = [
    { outcome: 'ok', color: OK_COLOR },
    ...legendReasons.map((outcome, i) => ({ outcome, color: FAIL_COLORS[i] as string })),
  ];
  const hidden = allColumns.filter((c) => !shownColumns.has(c));
  const hiddenFails = hidden.reduce((n, c) => n + (failsByColumn.get(c) ?? 0), 0);
  const subtitle = [
    `${failing.length} of ${pairs.length} calls fail · ${clients.length} clients × ${allColumns.length} service ports`,
  ];
  if (grouped)
    subtitle.push(
      `${clients.length} clients: one row per namespace, cells show the % of its clients failing`,
    );
  if (hidden.length > 0)
    subtitle.push(
      `${hidden.length} more service ports not shown (${hiddenFails} failing calls there): use -o json or the text list`,
    );
  const title = sanitizeText(options.title);
  return {
    title,
    subtitle,
    rows: rows.map(sanitizeText),
    columns: columns.map(sanitizeText),
    cells,
    grouped,
    legend,
    alt: heatmapAlt(title, pairs, failing, reasons, reasonCounts, subtitle, failsByColumn),
  };
}

function heatmapAlt(
  title: string,
  pairs: readonly MatrixPair[],
  failing: readonly MatrixPair[],
  reasons: readonly string[],
  reasonCounts: Map<string, number>,
  subtitle: readonly string[],
  failsByColumn: Map<string, number>,
): string {
  const parts = [`Heat map, ${title}: ${subtitle.join('; ')}.`];
  if (failing.length === 0) parts.push('Every call works.');
  else {
    parts.push(`Failures by reason: ${reasons.map((r) => `${r} ${reasonCounts.get(r)}`).join(', ')}.`);
    const worst = [...failsByColumn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    parts.push(
      `Service ports with most failing clients: ${worst.map(([c, n]) => `${c} (${n} of ${pairs.filter((p) => p.to === c).length})`).join(', ')}.`,
    );
  }
  return sanitizeText(parts.join(' ')).slice(0, 1000);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

export function heatmapSpec(model: HeatmapModel): TopLevelSpec {
  const band = { paddingInner: 0, paddingOuter: 0 };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: model.title, subtitle: model.subtitle, anchor: 'start', fontSize: 14 },
    config: {
      ...BASE_CONFIG,
      axis: { labelFontSize: 10, labelLimit: 200, ticks: false, domain: false, titleFontSize: 11 },
      legend: { labelLimit: 320, titleLimit: 320, labelFontSize: 10, titleFontSize: 11 },
    },
    data: { values: model.cells as unknown as Record<string, unknown>[] },
    width: { step: CELL },
    height: { step: CELL },
    encoding: {
      x: {
        field: 'column',
        type: 'nominal',
        sort: [...model.columns],
        scale: band,
        axis: { orient: 'top', labelAngle: -90, title: 'service port' },
      },
      y: {
        field: 'row',
        type: 'nominal',
        sort: [...model.rows],
        scale: band,
        axis: { title: model.grouped ? 'clients, by namespace' : 'client workload' },
      },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'outcome',
            type: 'nominal',
            title: 'outcome (failure reason)',
            scale: { domain: model.legend.map((l) => l.outcome), range: model.legend.map((l) => l.color) },
            legend: { orient: 'right' },
          },
        },
      },
      ...(model.grouped
        ? [
            {
              mark: { type: 'text' as const, fontSize: 7, color: 'white' },
              encoding: { text: { field: 'label', type: 'nominal' as const } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

export interface MatrixPicture extends RenderedPicture, Picture {
  readonly model: HeatmapModel;
}

export async function renderMatrixPicture(
  pairs: readonly MatrixPair[],
  options: HeatmapOptions & { readonly filename?: string },
): Promise<MatrixPicture> {
  const model = heatmapModel(pairs, options);
  return {
    ...(await renderVegaLite(heatmapSpec(model))),
    model,
    alt: model.alt,
    title: model.title,
    filename: options.filename ?? 'mtls-matrix.png',
  };
}
