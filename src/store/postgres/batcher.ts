interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions<I, O> {
  /** Runs one statement for all `items`; returns one result per item, in their order. */
  many: (items: I[]) => Promise<O[]>;
  /** Runs the statement for one item: what a batch falls back to, item by item, when it fails as a whole. */
  one: (item: I) => Promise<O>;
  /** Items per statement at most. */
  maxBatch: number;
  /** Statements of this batcher running at once at most; the calls arriving meanwhile wait and go together. */
  maxInFlight: number;
}

/**
 * Group commit for PostgreSQL: the calls that arrive while the previous statements run (and those of the same
 * event-loop turn) go to the database as one statement, so one round trip and one COMMIT serve many callers.
 * Every caller is answered only once the statement that carries its item returned, i.e. after its COMMIT. When
 * a batch fails as a whole (a deadlock, a constraint one item broke), each of its items runs alone, so one bad
 * item fails only its own caller.
 */
export class StatementBatcher<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Statements run and items carried, for benchmarks and tests. */
  readonly stats = { statements: 0, items: 0, fallbacks: 0 };

  constructor(private readonly o: BatcherOptions<I, O>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.o.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // The end of this event-loop turn: the calls of the same turn share the statement.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    this.stats.statements++;
    this.stats.items += batch.length;
    if (batch.length === 1) {
      const [w] = batch as [Waiting<I, O>];
      await this.o.one(w.item).then(w.resolve, w.reject);
      return;
    }
    let results: O[];
    try {
      results = await this.o.many(batch.map((w) => w.item));
    } catch {
      this.stats.fallbacks++;
      await Promise.all(batch.map((w) => this.o.one(w.item).then(w.resolve, w.reject)));
      return;
    }
    batch.forEach((w, i) => {
      w.resolve(results[i]!);
    });
  }
}
