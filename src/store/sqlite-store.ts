// The bot's state in an embedded SQLite database (better-sqlite3): posture snapshots for the digest's
// "what changed", and a lease so only one replica posts each scheduled digest. Schema changes are
// numbered migrations applied in order (PRAGMA user_version).
import Database from 'better-sqlite3';
import type { Posture } from '../digest/posture.js';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE posture_snapshots (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     scope TEXT NOT NULL,
     taken_at TEXT NOT NULL,
     posture TEXT NOT NULL
   );
   CREATE INDEX posture_by_scope ON posture_snapshots (scope, taken_at);`,
  `CREATE TABLE leases (
     name TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );`,
];

/** How long postures are kept: longer than any trend picture looks back (trendSince). */
export const POSTURE_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/** What a PostgreSQL store would implement for several replicas (see README, "State"). */
export interface StateStore {
  latestPosture(scope: string): Posture | undefined;
  savePosture(scope: string, posture: Posture): void;
  /** Every stored posture of `scope` taken at or after `since` (ISO time), oldest first. */
  postureHistory(scope: string, since: string): Posture[];
  /** Take or renew a named lease until `now + ttlMs`; false while another holder's lease is valid. */
  acquireLease(name: string, holder: string, now: number, ttlMs: number): boolean;
  close(): void;
}

export class SqliteStore implements StateStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i] as string);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  latestPosture(scope: string): Posture | undefined {
    const row = this.db
      .prepare(
        'SELECT posture FROM posture_snapshots WHERE scope = ? ORDER BY taken_at DESC, id DESC LIMIT 1',
      )
      .get(scope) as { posture: string } | undefined;
    return row ? (JSON.parse(row.posture) as Posture) : undefined;
  }

  savePosture(scope: string, posture: Posture): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO posture_snapshots (scope, taken_at, posture) VALUES (?, ?, ?)')
        .run(scope, posture.takenAt, JSON.stringify(posture));
      // Kept longer than a trend looks back, counted from the posture just saved (so the scope's newest,
      // the baseline of its next digest, always stays). Without this, every digest adds rows forever.
      const keepSince = new Date(Date.parse(posture.takenAt) - POSTURE_RETENTION_MS).toISOString();
      this.db.prepare('DELETE FROM posture_snapshots WHERE scope = ? AND taken_at < ?').run(scope, keepSince);
    })();
  }

  postureHistory(scope: string, since: string): Posture[] {
    const rows = this.db
      .prepare(
        'SELECT posture FROM posture_snapshots WHERE scope = ? AND taken_at >= ? ORDER BY taken_at, id',
      )
      .all(scope, since) as { posture: string }[];
    return rows.map((row) => JSON.parse(row.posture) as Posture);
  }

  acquireLease(name: string, holder: string, now: number, ttlMs: number): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @expires)
         ON CONFLICT(name) DO UPDATE SET holder = @holder, expires_at = @expires
         WHERE leases.holder = @holder OR leases.expires_at <= @now`,
      )
      .run({ name, holder, expires: now + ttlMs, now });
    return result.changes > 0;
  }

  close(): void {
    this.db.close();
  }
}
