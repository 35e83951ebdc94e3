import type { ConfirmChannel, Options } from 'amqplib';

/** Where a message goes: an exchange with a routing key, or a queue (through the default exchange). */
export interface PublishTarget {
  exchange: string;
  routingKey: string;
}

export type PublishResult =
  | { kind: 'confirmed' }
  /** The broker did not take it (nack, returned as unroutable, channel closed, no confirm in time, aborted). */
  | { kind: 'not-confirmed'; reason: string };

/**
 * One confirm channel of a destination: publishes with `mandatory`, so a message no queue takes comes back
 * (basic.return, which RabbitMQ sends before its ack) and is reported as not confirmed. A channel the broker
 * closed (a missing exchange: 404) reports why, and is replaced by its owner on the next delivery.
 */
export class PublishChannel {
  private readonly returned = new Map<string, string>();
  private lastError: string | null = null;
  private isOpen = true;

  constructor(private readonly ch: ConfirmChannel) {
    ch.on('return', (m: { fields: { replyCode?: number; replyText?: string }; properties: Options.Publish }) => {
      const key = returnKey(m.properties.messageId, m.properties.headers);
      if (key) this.returned.set(key, `${m.fields.replyCode ?? ''} ${m.fields.replyText ?? 'returned'}`.trim());
    });
    ch.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    ch.on('close', () => {
      this.isOpen = false;
    });
  }

  get open(): boolean {
    return this.isOpen;
  }

  /**
   * Publishes and waits for the broker's confirm, at most until `deadline` (epoch ms) or `signal` aborts.
   * `properties.messageId` and the `x-schakel-attempt` header identify a returned message.
   */
  publish(
    target: PublishTarget,
    body: Buffer,
    properties: Options.Publish,
    deadline: number,
    signal: AbortSignal,
  ): Promise<PublishResult> {
    const key = returnKey(properties.messageId, properties.headers)!;
    return new Promise<PublishResult>((resolve) => {
      let settled = false;
      const finish = (result: PublishResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onAbort = () => finish({ kind: 'not-confirmed', reason: 'aborted before RabbitMQ confirmed the message' });
      const waitMs = Math.max(1, deadline - Date.now());
      const timer = setTimeout(
        () => finish({ kind: 'not-confirmed', reason: `RabbitMQ did not confirm the message within ${waitMs} ms` }),
        waitMs,
      );
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        this.ch.publish(
          target.exchange,
          target.routingKey,
          body,
          { ...properties, mandatory: true },
          (err: unknown) => {
            // The broker's return comes before its ack; either way the bookkeeping ends here, even after a timeout.
            const returned = this.returned.get(key);
            this.returned.delete(key);
            if (err) finish({ kind: 'not-confirmed', reason: this.failureReason(err) });
            else if (returned !== undefined)
              finish({
                kind: 'not-confirmed',
                reason: `returned by RabbitMQ as unroutable (${returned})${describe(target)}`,
              });
            else finish({ kind: 'confirmed' });
          },
        );
      } catch (err) {
        finish({ kind: 'not-confirmed', reason: this.failureReason(err) });
      }
    });
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    await this.ch.close().catch(() => undefined);
  }

  /** A nack, or the channel closing under the publish (with the broker's reason when it gave one). */
  private failureReason(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    if (/nack/i.test(message)) return 'nacked by RabbitMQ';
    return this.lastError ? `RabbitMQ closed the channel: ${this.lastError}` : `RabbitMQ channel closed: ${message}`;
  }
}

function returnKey(messageId: string | undefined, headers: Record<string, unknown> | undefined): string | undefined {
  if (messageId === undefined) return undefined;
  return `${messageId}#${String(headers?.['x-schakel-attempt'] ?? '')}`;
}

function describe(target: PublishTarget): string {
  return target.exchange === ''
    ? `: no queue "${target.routingKey}"`
    : `: exchange "${target.exchange}" has no binding for routing key "${target.routingKey}"`;
}
