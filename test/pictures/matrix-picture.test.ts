// The matrix heat map read back as an image: its size, and the colour of each cell where the layout
// (vega's plot origin, the fixed cell size, clients and service ports in sorted order) puts it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MatrixPair } from '../../src/engine/matrix.js';
import {
  CELL,
  FAIL_COLORS,
  OK_COLOR,
  renderMatrixPicture,
} from '../../src/render/pictures/matrix-heatmap.js';
import { runCli } from '../helpers/run-cli.js';
import { decodePng, hex, type Image } from './png.js';

const root = join(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'mtls-pictures-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function meshPairs(): Promise<MatrixPair[]> {
  const run = await runCli(['matrix', '-f', join(root, 'examples/mesh'), '-o', 'json']);
  return (JSON.parse(run.stdout) as { pairs: MatrixPair[] }).pairs;
}

// Service ports as the picture orders them: by namespace/name (numbers as numbers), then port number.
function portOrder(a: string, b: string): number {
  const [ha, pa] = a.split(/:(?=\d+$)/);
  const [hb, pb] = b.split(/:(?=\d+$)/);
  return (ha as string).localeCompare(hb as string, 'en', { numeric: true }) || Number(pa) - Number(pb);
}

// Failure reasons get the palette in order of how often they occur (ties by name).
function reasonColours(pairs: readonly MatrixPair[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const p of pairs.filter((p) => p.outcome === 'fail'))
    counts.set(p.reason, (counts.get(p.reason) ?? 0) + 1);
  const ranked = [...counts.keys()].sort(
    (a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a.localeCompare(b),
  );
  return new Map(ranked.map((r, i) => [r, FAIL_COLORS[i] as string]));
}

/** The colour near the top-left of cell (column, row): clear of the white grid lines and of labels. */
function cellColour(
  image: Image,
  origin: { x: number; y: number },
  scale: number,
  column: number,
  row: number,
) {
  return image.rgb(origin.x + (column + 0.25) * CELL * scale, origin.y + (row + 0.25) * CELL * scale);
}

describe('matrix heat map', () => {
  it('colours every cell of examples/mesh: ok green, failures by reason, at the cell of their pair', async () => {
    const pairs = await meshPairs();
    const clients = [...new Set(pairs.map((p) => p.from))].sort();
    const ports = [...new Set(pairs.map((p) => p.to))].sort(portOrder);
    const colours = reasonColours(pairs);
    expect(colours.size).toBeGreaterThanOrEqual(3);

    const picture = await renderMatrixPicture(pairs, { title: 'Connectivity of the mesh' });
    const image = decodePng(picture.png);
    expect([image.width, image.height]).toEqual([picture.width, picture.height]);
    // The grid alone is clients × ports cells; axes, title and legend come on top.
    expect(image.width).toBeGreaterThan(ports.length * CELL * picture.scale);
    expect(image.height).toBeGreaterThan(clients.length * CELL * picture.scale);
    expect(image.width).toBeLessThan(2000);

    let failing = 0;
    for (const p of pairs) {
      const expected = p.outcome === 'ok' ? OK_COLOR : (colours.get(p.reason) as string);
      if (p.outcome === 'fail') failing++;
      expect(
        cellColour(image, picture.origin, picture.scale, ports.indexOf(p.to), clients.indexOf(p.from)),
        `${p.from} → ${p.to}`,
      ).toEqual(hex(expected));
    }
    expect(failing).toBe(26);
    expect(picture.alt).toContain('26 of 64 calls fail');
    expect(picture.alt).toContain('strict-plaintext-clients 8');
  });

  it('past the row limit, one row per namespace coloured by its failures; past the column limit, the worst ports', async () => {
    const pairs = await meshPairs();
    const picture = await renderMatrixPicture(pairs, { title: 'grouped', maxRows: 4, maxColumns: 5 });
    const { model } = picture;
    expect(model.grouped).toBe(true);
    // 6 client namespaces, 4 rows: the 3 with most failures, then the rest together.
    expect(model.rows).toHaveLength(4);
    expect(model.rows[3]).toMatch(/^3 other namespaces \(\d+ clients\)$/);
    expect(model.columns).toHaveLength(5);
    expect(model.subtitle.join(' ')).toContain('3 more service ports not shown');
    const image = decodePng(picture.png);
    const colours = reasonColours(pairs);
    const legacy = model.rows.findIndex((r) => r.startsWith('legacy/*'));
    expect(legacy).toBeGreaterThanOrEqual(0);
    for (const [c, column] of model.columns.entries()) {
      const mine = pairs.filter((p) => p.to === column && p.from.startsWith('legacy/'));
      const failing = mine.filter((p) => p.outcome === 'fail');
      const expected =
        failing.length === 0 ? OK_COLOR : (colours.get(failing[0]?.reason as string) as string);
      expect(cellColour(image, picture.origin, picture.scale, c, legacy), column).toEqual(hex(expected));
    }
  });

  it('caps a big namespace: 600 clients in 50 namespaces × 120 ports stay a readable picture', async () => {
    const pairs: MatrixPair[] = [];
    for (let c = 0; c < 600; c++) {
      for (let port = 0; port < 120; port++) {
        const fail = port % 7 === 0 && c % 3 === 0;
        pairs.push({
          from: `ns-${String(c % 50).padStart(2, '0')}/client-${c}`,
          to: `big/svc-${port}:${8000 + port}`,
          outcome: fail ? 'fail' : 'ok',
          client: { proxy: 'sidecar', tls: 'ISTIO_MUTUAL' },
          server: { proxy: 'sidecar', mode: 'STRICT' },
          reason: fail ? 'strict-plaintext-clients' : 'ok',
          symptom: '',
        } as unknown as MatrixPair);
      }
    }
    const picture = await renderMatrixPicture(pairs, { title: 'Connectivity of big' });
    expect(picture.model.rows.length).toBeLessThanOrEqual(40);
    expect(picture.model.columns).toHaveLength(40);
    // Every port with failures is kept (18 of them), the rest filled up with working ones.
    const failingPorts = [...new Set(pairs.filter((p) => p.outcome === 'fail').map((p) => p.to))];
    expect(failingPorts).toHaveLength(18);
    for (const port of failingPorts) expect(picture.model.columns).toContain(port);
    expect(picture.model.subtitle.join(' ')).toContain(
      '80 more service ports not shown (0 failing calls there)',
    );
    const image = decodePng(picture.png);
    expect(image.width).toBeLessThan(2400);
    expect(image.height).toBeLessThan(2400);
    const first = picture.model.columns.indexOf('big/svc-0:8000');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(cellColour(image, picture.origin, picture.scale, first, 0)).toEqual(hex(FAIL_COLORS[0]));
  });

  it('matrix -o png --out writes that picture; -o png without --out is bad usage', async () => {
    const out = join(tmp, 'matrix.png');
    const run = await runCli(['matrix', '-f', join(root, 'examples/mesh'), '-o', 'png', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^wrote .*matrix\.png \(\d+×\d+ px\): Heat map, Connectivity of the mesh: 26 of 64 calls fail/,
    );
    const image = decodePng(readFileSync(out));
    const pairs = await meshPairs();
    const picture = await renderMatrixPicture(pairs, { title: 'Connectivity of the mesh' });
    expect([image.width, image.height]).toEqual([picture.width, picture.height]);
    const bad = await runCli(['matrix', '-f', join(root, 'examples/mesh'), '-o', 'png']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('mtls-doctor: -o png writes a picture: name the file with --out FILE\n');
    const missing = await runCli([
      'matrix',
      '-f',
      join(root, 'examples/mesh'),
      '-o',
      'png',
      '--out',
      join(tmp, 'no/such/dir.png'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });
});
