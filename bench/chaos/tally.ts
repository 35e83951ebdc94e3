/**
 * The reliability run's bookkeeping: what the load sent and got accepted (by message id, from the receipts),
 * what the receiving server answered 2xx to (by the `x-schakel-id` header), and the one table it prints.
 */

export interface ScenarioRow {
  scenario: string;
  /** Distinct berichten posted (a bericht posted again after a network error or a 5xx counts once). */
  sent: number;
  /** Distinct message ids the gateway answered 202 or 200 (repeat) for. */
  accepted: number;
  /** Accepted ids the receiver answered 2xx at least once. */
  delivered: number;
  /** Accepted ids never delivered: must be 0. (A dead message is counted here too, and in `dead`.) */
  lost: number;
  /** Deliveries of accepted ids beyond the first (at least once means some are allowed). */
  duplicates: number;
  /** Messages the store holds as dead (or failed) at the end, per the beheer API. */
  dead: number;
  /** From the end of the load until every accepted id was delivered and the store had nothing waiting; null: not within the bound. */
  drainMs: number | null;
}

export class DeliveryTally {
  private sentCount = 0;
  private readonly acceptedIds = new Set<string>();
  /** 2xx deliveries per message id, including ids the load never saw accepted. */
  private readonly deliveries = new Map<string, number>();

  recordSent(): void {
    this.sentCount++;
  }

  recordAccepted(id: string): void {
    this.acceptedIds.add(id);
  }

  /** The receiver answered a delivery of `id` with 2xx. */
  recordDelivery(id: string): void {
    this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1);
  }

  get sent(): number {
    return this.sentCount;
  }

  get accepted(): number {
    return this.acceptedIds.size;
  }

  /** Accepted ids not (yet) delivered. */
  missing(): string[] {
    return [...this.acceptedIds].filter((id) => !this.deliveries.has(id));
  }

  /** Delivered ids the load never got a receipt for (the gateway stored them, the answer never arrived and no retry did either). */
  unreceipted(): string[] {
    return [...this.deliveries.keys()].filter((id) => !this.acceptedIds.has(id));
  }

  allDelivered(): boolean {
    for (const id of this.acceptedIds) if (!this.deliveries.has(id)) return false;
    return true;
  }

  row(scenario: string, dead: number, drainMs: number | null): ScenarioRow {
    let delivered = 0;
    let duplicates = 0;
    for (const id of this.acceptedIds) {
      const n = this.deliveries.get(id) ?? 0;
      if (n > 0) delivered++;
      if (n > 1) duplicates += n - 1;
    }
    return {
      scenario,
      sent: this.sentCount,
      accepted: this.acceptedIds.size,
      delivered,
      lost: this.acceptedIds.size - delivered,
      duplicates,
      dead,
      drainMs,
    };
  }
}

const COLUMNS: { title: string; value: (r: ScenarioRow) => string; left?: boolean }[] = [
  { title: 'scenario', value: (r) => r.scenario, left: true },
  { title: 'sent', value: (r) => String(r.sent) },
  { title: 'accepted', value: (r) => String(r.accepted) },
  { title: 'delivered', value: (r) => String(r.delivered) },
  { title: 'lost', value: (r) => String(r.lost) },
  { title: 'duplicates', value: (r) => String(r.duplicates) },
  { title: 'dead', value: (r) => String(r.dead) },
  { title: 'time to drain', value: (r) => (r.drainMs === null ? 'not drained' : `${(r.drainMs / 1000).toFixed(1)} s`) },
];

/** The rows as one plain-text table (a header, a rule, one line per scenario). */
export function formatTable(rows: readonly ScenarioRow[]): string {
  const cells = [COLUMNS.map((c) => c.title), ...rows.map((r) => COLUMNS.map((c) => c.value(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  const render = (line: string[]) =>
    line
      .map((cell, i) => (COLUMNS[i]!.left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(render)].join('\n');
}

/** The run's exit status: 1 when any scenario lost an accepted message. */
export function exitCodeOf(rows: readonly ScenarioRow[]): number {
  return rows.some((r) => r.lost > 0) ? 1 : 0;
}
