import type { Options } from 'amqplib';
import type { Adapter, DeliveryOutcome, DestinationConfig, OutgoingMessage } from '../../src/transport/adapter.ts';
import { OinMismatchError } from '../http/post.ts';
import { internalPayload } from '../internal-payload.ts';
import { AmqpConnections, type AmqpConnectionsOptions } from './connections.ts';
import type { PublishTarget } from './publish-channel.ts';

/** Node error codes of a TLS handshake that failed on certificates. */
const TLS_CODES = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_SSL_|EPROTO$)/;

export type AmqpDestination = Extract<DestinationConfig, { adapter: 'amqp' }>;

export interface AmqpAdapter extends Adapter {
  readonly connections: AmqpConnections;
  close(): Promise<void>;
}

/**
 * Delivers to an internal system through RabbitMQ: the exact bytes received, published persistent and
 * mandatory to the destination's exchange (with its routing key) or queue, over a confirm channel, as
 * application/xml with the message id as AMQP message-id and the Schakel headers x-schakel-id,
 * x-schakel-message, x-schakel-correlation (the heenbericht's id for a retour, else the message's own) and
 * x-schakel-attempt. The broker's confirm means delivered. A nack, a message returned as unroutable, a closed
 * channel (a missing exchange), a broker that cannot be reached and no confirm within the destination's
 * `timeoutMs` are retried with the reason. Connections are shared per broker and closed by `close()`.
 */
export function amqpAdapter(options: AmqpConnectionsOptions = {}): AmqpAdapter {
  const connections = new AmqpConnections(options);
  return {
    name: 'amqp',
    connections,
    async deliver(message, destination, signal, tls): Promise<DeliveryOutcome> {
      if (destination.adapter !== 'amqp') {
        return { kind: 'failed', reason: `amqp adapter cannot serve a "${destination.adapter}" destination` };
      }
      const deadline = Date.now() + destination.timeoutMs;
      const target = targetOf(destination);
      const where = `${hostOf(destination.url)}${target.exchange === '' ? ` queue "${target.routingKey}"` : ` exchange "${target.exchange}"`}`;
      let channel;
      try {
        channel = await withinDeadline(
          connections.channel({ url: destination.url, tls }, destination.id, destination.timeoutMs),
          deadline,
          signal,
        );
      } catch (err) {
        const reason = `RabbitMQ at ${hostOf(destination.url)} unreachable: ${redactUrl(errorText(err))}`;
        return { kind: 'retry', reason, ...(isTlsRefusal(err) ? { tlsRefused: true } : {}) };
      }
      const payload = internalPayload(message.body);
      const properties = propertiesOf(message);
      properties.headers = { ...payload.headers, ...properties.headers };
      const result = await channel.publish(target, payload.body, properties, deadline, signal);
      if (result.kind === 'confirmed') return { kind: 'delivered', answer: `confirmed by RabbitMQ: ${where}` };
      return { kind: 'retry', reason: redactUrl(result.reason) };
    },
    close: () => connections.close(),
  };
}

/** An exchange with its routing key, or a queue through the default exchange. */
export function targetOf(destination: AmqpDestination): PublishTarget {
  if (destination.queue !== undefined) return { exchange: '', routingKey: destination.queue };
  return { exchange: destination.exchange ?? '', routingKey: destination.routingKey ?? '' };
}

/** The AMQP properties of a delivery: persistent, the body's type, our id and the Schakel headers. */
export function propertiesOf(message: OutgoingMessage): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/xml',
    messageId: message.id,
    type: message.messageName,
    appId: 'schakel',
    timestamp: Math.floor(Date.now() / 1000),
    headers: {
      'x-schakel-id': message.id,
      'x-schakel-message': message.messageName,
      'x-schakel-correlation': message.correlatedTo ?? message.id,
      'x-schakel-attempt': String(message.attempt),
    },
  };
}

/** Waits for `work` until the deadline or an abort; the work itself goes on (a shared connection). */
function withinDeadline<T>(work: Promise<T>, deadline: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const ms = Math.max(1, deadline - Date.now());
    const timer = setTimeout(() => done(() => reject(new Error(`no connection within ${ms} ms`))), ms);
    const onAbort = () => done(() => reject(new Error('aborted while connecting')));
    function done(settle: () => void) {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle();
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => done(() => resolve(v)),
      (e: unknown) => done(() => reject(e as Error)),
    );
  });
}

/** The TLS handshake failed on certificates (ours, theirs, or the broker's OIN): a configuration problem. */
function isTlsRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return err instanceof OinMismatchError || (typeof code === 'string' && TLS_CODES.test(code));
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  return typeof e.code === 'string' && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/** host:port of a broker URL, never its credentials. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'amqps:' ? '5671' : '5672')}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Removes credentials from any URL a broker or library error might quote. */
function redactUrl(text: string): string {
  return text.replace(/(amqps?:\/\/)[^@\s/]*@/gi, '$1');
}
