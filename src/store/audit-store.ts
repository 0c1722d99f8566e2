// The audit log of remediations in the same SQLite file: written before the cluster is touched, so a
// crash mid-apply leaves a record that says so; it keeps the previous object for rollback.
import Database from 'better-sqlite3';

/**
 * `applying` while the change is on its way (and after a crash then); `unknown` when it was sent but
 * neither an answer nor a read of the object said whether it was carried out (a timeout, a reset, a
 * 5xx, an interrupt); `failed` only when the API server refused it or it never reached the server.
 */
export type AuditState = 'applying' | 'applied' | 'unknown' | 'failed' | 'rolled-back';

export interface AuditEntry {
  readonly id: number;
  readonly planId: string;
  readonly target: { apiVersion: string; kind: string; namespace?: string; name: string };
  readonly actor: string;
  readonly state: AuditState;
  readonly createdAt: string;
  readonly previous?: Record<string, unknown>;
  readonly patch?: Record<string, unknown>;
  /** What the change did (merge-patch, create, delete, ...); absent in entries of older versions. */
  readonly action?: string;
  readonly resultVersion?: string;
  readonly error?: string;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  plan_id TEXT NOT NULL,
  target TEXT NOT NULL,
  actor TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  previous TEXT,
  patch TEXT,
  result_version TEXT,
  error TEXT,
  action TEXT
)`;

/**
 * The states an entry may move to `state` from. An outcome once recorded is kept: only `applying` takes
 * any, `unknown` a settled one (a read showed what became of the change), `applied` its rollback.
 */
export const FINISHES_FROM: Readonly<Record<Exclude<AuditState, 'applying'>, readonly AuditState[]>> = {
  unknown: ['applying'],
  applied: ['applying', 'unknown'],
  failed: ['applying', 'unknown'],
  'rolled-back': ['applying', 'unknown', 'applied'],
};

/** What a shared (PostgreSQL) store implements for several replicas: same rows, same transitions. */
export interface AuditStore {
  begin(entry: Omit<AuditEntry, 'id' | 'state'>): number;
  /**
   * Records an outcome if the entry's state may move to it (FINISHES_FROM), checked and written at
   * once (one conditional UPDATE), so two writers never both succeed; false, the entry untouched, if
   * it may not (it has an outcome already) or there is no such entry.
   */
  finish(
    id: number,
    state: Exclude<AuditState, 'applying'>,
    details?: { resultVersion?: string; error?: string },
  ): boolean;
  get(id: number): AuditEntry | undefined;
  /**
   * The first entry after `entry` that may have changed the same object: failed writes (a refused change,
   * a rollback attempt of this entry that failed) changed nothing and are not counted.
   */
  nextOnTarget(entry: AuditEntry): AuditEntry | undefined;
  close(): void;
}

export class AuditLog implements AuditStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    // A log written by a version before the action column gets it; its entries keep action NULL.
    const columns = this.db.prepare('PRAGMA table_info(audit)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'action')) this.db.exec('ALTER TABLE audit ADD COLUMN action TEXT');
  }

  begin(entry: Omit<AuditEntry, 'id' | 'state'>): number {
    const result = this.db
      .prepare(
        'INSERT INTO audit (plan_id, target, actor, state, created_at, previous, patch, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        entry.planId,
        JSON.stringify(entry.target),
        entry.actor,
        'applying',
        entry.createdAt,
        JSON.stringify(entry.previous ?? null),
        JSON.stringify(entry.patch ?? null),
        entry.action ?? null,
      );
    return Number(result.lastInsertRowid);
  }

  finish(
    id: number,
    state: Exclude<AuditState, 'applying'>,
    details: { resultVersion?: string; error?: string } = {},
  ): boolean {
    const from = FINISHES_FROM[state];
    const result = this.db
      .prepare(
        `UPDATE audit SET state = ?, result_version = ?, error = ? WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`,
      )
      .run(state, details.resultVersion ?? null, details.error ?? null, id, ...from);
    return result.changes === 1;
  }

  get(id: number): AuditEntry | undefined {
    const row = this.db.prepare('SELECT * FROM audit WHERE id = ?').get(id) as
      | Record<string, string | number | null>
      | undefined;
    return row ? toEntry(row) : undefined;
  }

  nextOnTarget(entry: AuditEntry): AuditEntry | undefined {
    const group = (t: AuditEntry['target']) => (t.apiVersion.includes('/') ? t.apiVersion.split('/')[0] : '');
    const same = (t: AuditEntry['target']) =>
      group(t) === group(entry.target) &&
      t.kind === entry.target.kind &&
      t.namespace === entry.target.namespace &&
      t.name === entry.target.name;
    // Only the targets are parsed until one matches: the later rows' objects are never needed.
    const rows = this.db
      .prepare("SELECT id, target FROM audit WHERE id > ? AND state != 'failed' ORDER BY id")
      .all(entry.id) as { id: number; target: string }[];
    const found = rows.find((row) => same(JSON.parse(row.target)));
    return found ? this.get(found.id) : undefined;
  }

  close(): void {
    this.db.close();
  }
}

function toEntry(row: Record<string, string | number | null>): AuditEntry {
  return {
    id: Number(row.id),
    planId: String(row.plan_id),
    target: JSON.parse(String(row.target)),
    actor: String(row.actor),
    state: row.state as AuditState,
    createdAt: String(row.created_at),
    previous: JSON.parse(String(row.previous)) ?? undefined,
    patch: JSON.parse(String(row.patch)) ?? undefined,
    action: row.action === null || row.action === undefined ? undefined : String(row.action),
    resultVersion: row.result_version === null ? undefined : String(row.result_version),
    error: row.error === null ? undefined : String(row.error),
  };
}
