/** Rows of beheer's shared state (sessions, bulk jobs) as both stores read them, and their conversion. */
import type { StoredJob, StoredJobResult, StoredSession } from './types.ts';

export interface SessionRow {
  id_hash: string;
  user_name: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  auth: string | null;
}

export interface JobRow {
  id: string;
  action: string;
  actor: string;
  selection: string;
  reason: string | null;
  ids: string;
  state: string;
  owner: string;
  lease_until: number;
  created_at: number;
  finished_at: number | null;
  total: number;
  done: number;
  ok: number;
  failed: number;
}

export interface JobResultRow {
  message_id: string;
  ok: number | boolean;
  status: string | null;
  reason: string | null;
}

export function toSession(r: SessionRow): StoredSession {
  return {
    idHash: r.id_hash,
    user: r.user_name,
    csrfToken: r.csrf_token,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    auth: r.auth === null ? null : (JSON.parse(r.auth) as unknown),
  };
}

export function toJob(r: JobRow): StoredJob {
  return {
    id: r.id,
    action: r.action,
    actor: r.actor,
    selection: JSON.parse(r.selection) as unknown,
    reason: r.reason,
    ids: JSON.parse(r.ids) as string[],
    state: r.state === 'done' ? 'done' : 'running',
    owner: r.owner,
    leaseUntil: Number(r.lease_until),
    createdAt: Number(r.created_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    total: r.total,
    done: r.done,
    ok: r.ok,
    failed: r.failed,
  };
}

export function toJobResult(r: JobResultRow): StoredJobResult {
  return { messageId: r.message_id, ok: Boolean(r.ok), status: r.status, reason: r.reason };
}

export const JOB_COLUMNS = `id, action, actor, selection, reason, ids, state, owner, lease_until, created_at,
  finished_at, total, done, ok, failed`;
