import { Worker } from 'node:worker_threads';
import { SchemaPacks } from '../xml/packs.ts';
import { DEFAULT_LIMITS, type ParseLimits } from '../xml/parse.ts';
import { BerichtValidator, type ValidateOptions, type ValidatorOptions } from './validator.ts';
import type { Verdict } from './verdict.ts';
import type { WorkerAnswer, WorkerRequest } from './worker.ts';

export interface ValidationServiceOptions extends ValidatorOptions {
  schemasDir?: string;
  /** Documents larger than this are judged on a worker thread so the event loop keeps answering. */
  inlineMaxBytes?: number;
  /** Number of worker threads (started lazily); 0 judges every document inline. Default 1. */
  workers?: number;
}

interface Pending {
  resolve: (v: Verdict) => void;
  reject: (e: Error) => void;
}

/**
 * Validation for a running process: on worker threads that each hold their own compiled packs (default one), so
 * the event loop stays free for HTTP, the store and delivery; inline when there are no workers, for documents
 * up to `inlineMaxBytes`, and when rules need this thread's message history.
 */
export class ValidationService {
  readonly inline: BerichtValidator;
  private readonly inlineMaxBytes: number;
  private readonly workerCount: number;
  private readonly workers: WorkerHandle[] = [];
  private next = 0;
  private readonly limits: ParseLimits;
  private readonly today: () => Date;

  constructor(private readonly opts: ValidationServiceOptions = {}) {
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.today = opts.today ?? (() => new Date());
    this.inline = new BerichtValidator(SchemaPacks.load(opts.schemasDir), opts);
    this.inlineMaxBytes = opts.inlineMaxBytes ?? 512 * 1024;
    this.workerCount = Math.max(0, opts.workers ?? 1);
  }

  async validate(source: Uint8Array, options: ValidateOptions = {}): Promise<Verdict> {
    // A message history lives in this thread only, so a service that has one judges every bericht inline.
    if (
      this.workerCount === 0 ||
      this.opts.history ||
      source.byteLength <= this.inlineMaxBytes ||
      source.byteLength > this.limits.maxBytes
    ) {
      return this.inline.validate(source, options);
    }
    return this.worker().run({ source, now: this.today().getTime(), options });
  }

  private worker(): WorkerHandle {
    if (this.workers.length < this.workerCount) {
      const w = new WorkerHandle({
        ...(this.opts.schemasDir ? { schemasDir: this.opts.schemasDir } : {}),
        limits: this.limits,
        ...(this.opts.rulesVersion ? { rulesVersion: this.opts.rulesVersion } : {}),
        ...(this.opts.productListFile ? { productListFile: this.opts.productListFile } : {}),
      });
      this.workers.push(w);
      return w;
    }
    const w = this.workers[this.next++ % this.workers.length]!;
    return w;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}

/** One worker thread and its pending requests; a crashed worker fails its requests and is replaced. */
class WorkerHandle {
  private worker: Worker;
  private readonly pending = new Map<number, Pending>();
  /** Requests of this event-loop turn, not yet posted. */
  private readonly outgoing: WorkerRequest[] = [];
  private seq = 0;

  constructor(private readonly init: object) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: this.init });
    w.on('message', (msg: WorkerAnswer[] | { ready: true }) => {
      if (!Array.isArray(msg)) return;
      for (const a of msg) {
        const p = this.pending.get(a.id);
        if (!p) continue;
        this.pending.delete(a.id);
        if (a.verdict) p.resolve(a.verdict);
        else p.reject(new Error(`validation worker: ${a.error}`));
      }
      if (this.pending.size === 0) w.unref();
    });
    w.on('error', (e) => this.failAll(e));
    w.on('exit', (code) => {
      if (this.pending.size) this.failAll(new Error(`validation worker exited (${code})`));
    });
    w.unref();
    return w;
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.outgoing.length = 0;
    this.worker.removeAllListeners();
    void this.worker.terminate();
    this.worker = this.spawn();
  }

  /**
   * Queues the request; the requests of one event-loop turn go to the worker as one message (setImmediate), and
   * the worker answers them in one message: a `postMessage` costs a wake-up of the other thread and a copy
   * either way, whatever it carries (≈ 14–18 µs per message of process CPU one by one, ≈ 4 µs in batches of 8).
   */
  run(req: Omit<WorkerRequest, 'id'>): Promise<Verdict> {
    const id = ++this.seq;
    return new Promise<Verdict>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.outgoing.push({ id, ...req });
      if (this.outgoing.length === 1) {
        this.worker.ref();
        setImmediate(this.send);
      }
    });
  }

  private readonly send = (): void => {
    if (this.outgoing.length === 0) return;
    this.worker.postMessage(this.outgoing.splice(0) satisfies WorkerRequest[]);
  };

  async terminate(): Promise<void> {
    this.worker.removeAllListeners();
    await this.worker.terminate();
  }
}
