// The posture trend read back as an image: one score marker per day with a digest, at the x of its
// day, and a dashed rule on each day whose digest listed changes; and the CLI path from --state.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Posture } from '../../src/digest/posture.js';
import {
  CHANGE_COLOR,
  DAY_STEP,
  PLAINTEXT_COLOR,
  PLOT_HEIGHT,
  renderTrendPicture,
  SCORE_COLOR,
} from '../../src/render/pictures/posture-trend.js';
import { runCli } from '../helpers/run-cli.js';
import { decodePng, hex, markers } from './png.js';

const root = join(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'mtls-trend-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const DAY = 86_400_000;
const now = new Date('2026-11-29T09:00:00Z');

function posture(daysAgo: number, score: number, plaintext: number, hour = 6): Posture {
  const at = new Date(Date.UTC(2026, 10, 29 - daysAgo, hour));
  return {
    takenAt: at.toISOString(),
    meshMode: 'PERMISSIVE',
    score,
    namespaces: [
      {
        namespace: 'shop',
        mode: 'PERMISSIVE',
        workloads: 3,
        withoutProxy: [],
        plaintextPorts: Array.from({ length: plaintext }, (_, i) => `web:${8000 + i}`),
        errors: 0,
        warnings: 0,
        expiringCertificates: 0,
        stage: 'switch-to-strict',
        nextStep: 'switch',
        wouldBreakIfStrict: [],
      },
    ],
  };
}

describe('posture trend', () => {
  // 40 days of history, some days missing, two digests on one day; changes 12 and 4 days ago.
  const missing = new Set([3, 9, 10, 17]);
  const history: Posture[] = [];
  for (let d = 39; d >= 0; d--) {
    if (missing.has(d)) continue;
    const [score, plaintext] = d > 12 ? [40, 8] : d > 4 ? [60, 5] : [90, 1];
    history.push(posture(d, score, plaintext));
  }
  history.push(posture(6, 60, 5, 18)); // a second digest that day, unchanged
  const daysWithData = 30 - [...missing].filter((d) => d < 30).length;

  it('draws one score marker per day with a digest, a day apart on the x axis', async () => {
    const picture = await renderTrendPicture(history, now);
    const image = decodePng(picture.png);
    expect([image.width, image.height]).toEqual([picture.width, picture.height]);
    // 30 days a DAY_STEP apart and a PLOT_HEIGHT tall plot, plus axes and title.
    expect(image.width).toBeGreaterThan(30 * DAY_STEP * picture.scale);
    expect(image.height).toBeGreaterThan(PLOT_HEIGHT * picture.scale);

    const score = markers(image, SCORE_COLOR);
    expect(score).toHaveLength(daysWithData);
    const step = DAY_STEP * picture.scale;
    // Day i of the window (0 = 29 days ago) sits at origin + (i + 0.5) steps.
    const expectedDays = Array.from({ length: 30 }, (_, i) => 29 - i).filter((d) => !missing.has(d));
    score.forEach((m, k) => {
      const i = 29 - (expectedDays[k] as number);
      expect(Math.abs(m.x - (picture.origin.x + (i + 0.5) * step)), `day ${i}`).toBeLessThanOrEqual(1.5);
    });
    // Higher score, higher marker: 40 → 60 → 90 climbs (y grows downward).
    const y = (daysAgo: number) => score[expectedDays.indexOf(daysAgo)]?.y as number;
    expect(y(20)).toBeGreaterThan(y(8));
    expect(y(8)).toBeGreaterThan(y(0));
    // Plaintext markers: one per day too, wherever a score marker does not cover them.
    expect(markers(image, PLAINTEXT_COLOR).length).toBeGreaterThanOrEqual(daysWithData - 3);
  });

  it('marks the days whose digest listed changes with a dashed rule, and no other day', async () => {
    const picture = await renderTrendPicture(history, now);
    const image = decodePng(picture.png);
    const step = DAY_STEP * picture.scale;
    const [r, g, b] = hex(CHANGE_COLOR);
    const grey = (x: number, y: number) => {
      const [pr, pg, pb] = image.rgb(x, y);
      return Math.abs(pr - r) + Math.abs(pg - g) + Math.abs(pb - b) < 60;
    };
    // Grey pixels along the top of the plot (above every marker) in the column of day i.
    const ruled = (i: number) => {
      const x = picture.origin.x + (i + 0.5) * step;
      let hits = 0;
      for (let y = picture.origin.y + 2; y < picture.origin.y + 20; y++)
        if (grey(x, y) || grey(x - 1, y) || grey(x + 1, y)) hits++;
      return hits >= 4;
    };
    const marked = Array.from({ length: 30 }, (_, i) => i).filter(ruled);
    expect(marked).toEqual([29 - 12, 29 - 4]);
    expect(picture.model.alt).toContain('Changes on Nov 17, Nov 25.');
    expect(picture.model.alt).toContain(`${daysWithData} of 30 days with a digest`);
    expect(picture.model.alt).toContain('Mesh score from 40 on Oct 31 to 90 on Nov 29');
  });

  it('digest -o png --out draws the history kept in --state, a point per day the digest ran', async () => {
    const state = join(tmp, 'state.db');
    const days = [5, 4, 2, 1];
    for (const d of days) {
      const run = await runCli(['digest', '-f', join(root, 'examples/mesh'), '--state', state], {
        now: new Date(now.getTime() - d * DAY),
      });
      expect(run.code).toBe(0);
    }
    const out = join(tmp, 'trend.png');
    const run = await runCli(
      ['digest', '-f', join(root, 'examples/mesh'), '--state', state, '-o', 'png', '--out', out],
      { now },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^wrote .*trend\.png \(\d+×\d+ px\): Line chart, mTLS posture, last 30 days \(Oct 31 to Nov 29\), 5 of 30 days with a digest\./,
    );
    const image = decodePng(readFileSync(out));
    const score = markers(image, SCORE_COLOR);
    expect(score).toHaveLength(5);
    // Days 5, 4, 2, 1 ago and today: one step apart, two across the gap of day 3.
    const gaps = score
      .slice(1)
      .map((m, i) => Math.round((m.x - (score[i] as { x: number }).x) / (DAY_STEP * 2)));
    expect(gaps).toEqual([1, 2, 1, 1]);
    // The same mesh every day: all at one height.
    expect(new Set(score.map((m) => Math.round(m.y))).size).toBe(1);
  });

  it('-o png without --out, and --out without -o png, are bad usage', async () => {
    const a = await runCli(['digest', '-f', join(root, 'examples/mesh'), '-o', 'png']);
    expect([a.code, a.stderr]).toEqual([
      2,
      'mtls-doctor: -o png writes a picture: name the file with --out FILE\n',
    ]);
    const b = await runCli(['digest', '-f', join(root, 'examples/mesh'), '--out', join(tmp, 'x.png')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--out is for -o png');
  });
});
