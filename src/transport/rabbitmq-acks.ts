import type { Channel, ConsumeMessage } from 'amqplib';

/**
 * The acknowledgements of one consume channel, batched: the acks of one event-loop turn go out together, as a
 * single `multiple` ack for every tag below the oldest delivery still being handled, and one ack each for the
 * rest. A `multiple` ack never covers a delivery that is not finished: every delivery of the channel is
 * registered when it arrives (`received`) and leaves only when settled. Deliveries left unsettled (a stop, a
 * crash) stay unacknowledged, so RabbitMQ redelivers them after the channel closes.
 */
export class ChannelAcks {
  private readonly unsettled = new Map<number, ConsumeMessage>();
  private readonly ready = new Set<number>();
  private scheduled = false;
  /** Frames sent and deliveries they settled. */
  readonly stats = { frames: 0, settled: 0 };

  constructor(
    private readonly ch: Channel,
    /** Whether the channel may still settle (open, and still the transport's). */
    private readonly usable: () => boolean,
    /** Called with the number of settlements that could not be sent (RabbitMQ redelivers those). */
    private readonly lost: (count: number) => void,
  ) {}

  /** A delivery arrived on the channel; call before anything else happens to it. */
  received(msg: ConsumeMessage): void {
    this.unsettled.set(msg.fields.deliveryTag, msg);
  }

  /** Acknowledges at the end of this event-loop turn (or at `flush`). */
  ack(msg: ConsumeMessage): void {
    this.ready.add(msg.fields.deliveryTag);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Rejects at once (dead-lettered), or hands back to the queue. */
  nack(msg: ConsumeMessage, requeue: boolean): void {
    this.unsettled.delete(msg.fields.deliveryTag);
    this.send(1, () => this.ch.nack(msg, false, requeue));
  }

  /** Sends the acks gathered so far. */
  flush(): void {
    this.scheduled = false;
    if (this.ready.size === 0) return;
    const tags = [...this.ready].sort((a, b) => a - b);
    let oldestOpen = Number.POSITIVE_INFINITY;
    for (const tag of this.unsettled.keys()) {
      if (!this.ready.has(tag) && tag < oldestOpen) oldestOpen = tag;
    }
    this.ready.clear();
    const covered = tags.filter((t) => t < oldestOpen);
    const single = tags.filter((t) => t > oldestOpen);
    const messages = (list: number[]) => list.map((t) => this.unsettled.get(t)).filter((m) => m !== undefined);
    const last = messages(covered).at(-1);
    const alone = messages(single);
    for (const t of tags) this.unsettled.delete(t);
    if (last) this.send(covered.length, () => this.ch.ack(last, true));
    for (const m of alone) this.send(1, () => this.ch.ack(m));
  }

  private send(count: number, settle: () => void): void {
    if (!this.usable()) return this.lost(count);
    try {
      settle();
      this.stats.frames++;
      this.stats.settled += count;
    } catch {
      // The channel closed in between: RabbitMQ redelivers.
      this.lost(count);
    }
  }
}
