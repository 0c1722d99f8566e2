// Every digest saves a posture: rows older than the retention go when the next one is saved, except the
// scope's newest (the baseline of its next digest), so the database does not grow forever.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Posture } from '../../src/digest/posture.js';
import { POSTURE_RETENTION_MS, SqliteStore } from '../../src/store/sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-posture-'));
  dirs.push(dir);
  return new SqliteStore(join(dir, 'state.db'));
}

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (days: number) => ({ takenAt: new Date(T0 + days * DAY).toISOString() }) as Posture;
const taken = (postures: readonly Posture[]) => postures.map((p) => p.takenAt);

it('drops postures older than the retention when a new one is saved, scope by scope', () => {
  const db = store();
  const retentionDays = POSTURE_RETENTION_MS / DAY;
  db.savePosture('#a', at(0));
  db.savePosture('#a', at(10));
  db.savePosture('#b', at(0));
  db.savePosture('#a', at(retentionDays + 5));
  const all = '1970-01-01T00:00:00.000Z';
  expect(taken(db.postureHistory('#a', all))).toEqual([at(10).takenAt, at(retentionDays + 5).takenAt]);
  // Another scope is left as it was until it saves again.
  expect(taken(db.postureHistory('#b', all))).toEqual([at(0).takenAt]);
  db.close();
});

it('a clock set back deletes nothing newer than the posture it saves', () => {
  const db = store();
  db.savePosture('#a', at(400));
  db.savePosture('#a', at(0));
  expect(db.latestPosture('#a')?.takenAt).toBe(at(400).takenAt);
  expect(taken(db.postureHistory('#a', '1970-01-01T00:00:00.000Z'))).toEqual([
    at(0).takenAt,
    at(400).takenAt,
  ]);
  db.close();
});
