/**
 * Issue #17: `delivering` is not written. A message is being delivered while it is pending (stored queued, or
 * delivering as written before) and its outbox row holds a delivery lease: a due row leased by `leaseDue` (also
 * one whose lease ran out, until it is taken again) or a claimed broker publication. A relay's lease (publishing)
 * or a publication waiting in the broker is no delivery: the message is queued. The one place both stores say
 * so (the SQL is the same in SQLite and PostgreSQL); `m` names the messages table in the statement.
 */
export const deliveryLeased = (m: string) =>
  `EXISTS (SELECT 1 FROM outbox lo WHERE lo.message_id = ${m}.id AND ${deliveryLease('lo')})`;

/**
 * An outbox row `o` that holds a delivery lease: a leased due row or a claimed one. A claim always sets
 * lease_until, and every statement that clears lease_until also moves the row to due or published, so this is
 * `phase = 'claimed' OR (phase = 'due' AND lease_until IS NOT NULL)`, written so that the partial index of the
 * leased rows (ix_outbox_leased, both stores) finds them without reading the unleased backlog.
 */
const deliveryLease = (o: string) => `(${o}.lease_until IS NOT NULL AND ${o}.phase IN ('due', 'claimed'))`;

/** The ids of the messages whose outbox row holds a delivery lease (outbox.message_id is never null). */
const leasedMessageIds = `SELECT lo.message_id FROM outbox lo WHERE ${deliveryLease('lo')}`;

const isPending = (m: string) => `${m}.status IN ('queued', 'delivering')`;
/** Pending with a delivery lease (`deliveryLeased`): the status reads delivering. */
export const isDelivering = (m: string) => `(${isPending(m)} AND ${deliveryLeased(m)})`;

/**
 * For filters over many messages (lists and their total): the same two conditions, with the leased messages found
 * once from the outbox's few leased rows instead of one outbox lookup per pending message, so that counting a
 * backlog of 50,000 queued costs no 50,000 lookups. A single row's status is still read by `readStatus`.
 */
export const isDeliveringAmong = (m: string) => `(${isPending(m)} AND ${m}.id IN (${leasedMessageIds}))`;
export const isQueuedAmong = (m: string) => `(${isPending(m)} AND ${m}.id NOT IN (${leasedMessageIds}))`;

/** The status as read: a pending message is delivering or queued by its lease, any other as stored. */
export const readStatus = (m: string) =>
  `CASE WHEN NOT ${isPending(m)} THEN ${m}.status
     WHEN ${deliveryLeased(m)} THEN 'delivering' ELSE 'queued' END`;

/**
 * For counts over many messages: the pending messages matching `where` (a `WHERE …` of the messages table, or
 * nothing) that are being delivered, found from the outbox's leased rows (a few) instead of one outbox lookup per
 * pending message (a backlog of 50,000 queued made a status count ten times slower). The caller selects from it.
 */
export const leasedPendingFrom = (where: string) =>
  `FROM messages ${where ? `${where} AND` : 'WHERE'} ${isPending('messages')}
     AND messages.id IN (${leasedMessageIds})`;

/**
 * Messages per status as read, for a `WHERE …` of the messages table (or nothing): counted by stored status, the
 * pending ones split by the few that are leased (`leasedPendingFrom`). The same SQL in both stores; `where`
 * appears twice (PostgreSQL's numbered parameters serve both, SQLite binds its parameters twice).
 */
export const statusCountsSql = (where: string) => `WITH stored AS (
   SELECT status, CAST(COUNT(*) AS INTEGER) AS n FROM messages ${where} GROUP BY 1
 ), leased AS (
   SELECT CAST(COUNT(*) AS INTEGER) AS n ${leasedPendingFrom(where)}
 )
 SELECT status, n FROM stored WHERE status NOT IN ('queued', 'delivering')
 UNION ALL
 SELECT 'queued', CAST((SELECT COALESCE(SUM(n), 0) FROM stored WHERE status IN ('queued', 'delivering'))
   - (SELECT n FROM leased) AS INTEGER)
 UNION ALL
 SELECT 'delivering', n FROM leased`;

/** Messages per gemeente, flow and status as read, as `statusCountsSql` counts them; no rows of 0. */
export const gemeenteCountsSql = (where: string) => `WITH stored AS (
   SELECT gemeente, flow, status, CAST(COUNT(*) AS INTEGER) AS n FROM messages ${where} GROUP BY 1, 2, 3
 ), leased AS (
   SELECT gemeente, flow, CAST(COUNT(*) AS INTEGER) AS n ${leasedPendingFrom(where)} GROUP BY 1, 2
 ), pending AS (
   SELECT gemeente, flow, CAST(SUM(n) AS INTEGER) AS n FROM stored WHERE status IN ('queued', 'delivering')
   GROUP BY 1, 2
 ), counted AS (
   SELECT gemeente, flow, status, n FROM stored WHERE status NOT IN ('queued', 'delivering')
   UNION ALL
   SELECT p.gemeente, p.flow, 'queued', p.n - COALESCE(l.n, 0) FROM pending p
   LEFT JOIN leased l ON l.gemeente IS NOT DISTINCT FROM p.gemeente AND l.flow IS NOT DISTINCT FROM p.flow
   UNION ALL
   SELECT gemeente, flow, 'delivering', n FROM leased
 )
 SELECT gemeente, flow, status, n FROM counted WHERE n > 0 ORDER BY gemeente NULLS LAST, flow, status`;
