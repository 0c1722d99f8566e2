// Fix requests and their one resolution. Every transition is a conditional UPDATE from `pending`, so
// two approvals or a double click resolve a request exactly once.
import Database from 'better-sqlite3';
import type { RemediationPlan } from '../remediation/plans.js';

/** `unknown`: approved and sent, but no answer said whether the change was carried out (see the audit entry). */
export type RequestState = 'pending' | 'approved' | 'rejected' | 'applied' | 'failed' | 'unknown';

export interface FixRequest {
  readonly id: number;
  readonly plan: RemediationPlan;
  readonly requester: string;
  readonly channel: string;
  readonly namespace?: string;
  /** resourceVersion of the target when the fix was requested (undefined for a new object). */
  readonly resourceVersion?: string;
  readonly state: RequestState;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly resolvedBy?: string;
  readonly auditId?: number;
  /** For a rollback request: the audit entry to restore. */
  readonly rollbackOf?: number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS fix_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  plan TEXT NOT NULL,
  requester TEXT NOT NULL,
  channel TEXT NOT NULL,
  namespace TEXT,
  resource_version TEXT,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  resolved_by TEXT,
  audit_id INTEGER,
  rollback_of INTEGER
)`;

/**
 * What a shared (PostgreSQL) store implements for several replicas: `resolve` must be one conditional
 * UPDATE ... WHERE state = 'pending' so that only one replica's click wins.
 */
export interface FixRequestStore {
  create(request: Omit<FixRequest, 'id' | 'state' | 'resolvedBy' | 'auditId'>): FixRequest;
  get(id: number): FixRequest | undefined;
  resolve(id: number, state: 'approved' | 'rejected', by: string): boolean;
  finish(id: number, state: 'applied' | 'failed' | 'unknown', auditId?: number): void;
  close(): void;
}

export class RequestStore implements FixRequestStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  create(request: Omit<FixRequest, 'id' | 'state' | 'resolvedBy' | 'auditId'>): FixRequest {
    const result = this.db
      .prepare(
        'INSERT INTO fix_requests (plan, requester, channel, namespace, resource_version, state, created_at, expires_at, rollback_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        JSON.stringify(request.plan),
        request.requester,
        request.channel,
        request.namespace ?? null,
        request.resourceVersion ?? null,
        'pending',
        request.createdAt,
        request.expiresAt,
        request.rollbackOf ?? null,
      );
    return this.get(Number(result.lastInsertRowid)) as FixRequest;
  }

  get(id: number): FixRequest | undefined {
    const row = this.db.prepare('SELECT * FROM fix_requests WHERE id = ?').get(id) as
      | Record<string, string | number | null>
      | undefined;
    if (!row) return undefined;
    return {
      id: Number(row.id),
      plan: JSON.parse(String(row.plan)),
      requester: String(row.requester),
      channel: String(row.channel),
      namespace: row.namespace === null ? undefined : String(row.namespace),
      resourceVersion: row.resource_version === null ? undefined : String(row.resource_version),
      state: row.state as RequestState,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      resolvedBy: row.resolved_by === null ? undefined : String(row.resolved_by),
      auditId: row.audit_id === null ? undefined : Number(row.audit_id),
      rollbackOf: row.rollback_of === null ? undefined : Number(row.rollback_of),
    };
  }

  /** pending → approved/rejected by one person; false when someone (or a second click) was first. */
  resolve(id: number, state: 'approved' | 'rejected', by: string): boolean {
    return (
      this.db
        .prepare("UPDATE fix_requests SET state = ?, resolved_by = ? WHERE id = ? AND state = 'pending'")
        .run(state, by, id).changes === 1
    );
  }

  finish(id: number, state: 'applied' | 'failed' | 'unknown', auditId?: number): void {
    this.db
      .prepare('UPDATE fix_requests SET state = ?, audit_id = ? WHERE id = ?')
      .run(state, auditId ?? null, id);
  }

  close(): void {
    this.db.close();
  }
}
