import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import tls from 'node:tls';
import amqp, { type ChannelModel } from 'amqplib';
import { oinOfPeer } from '../../src/security/oin.ts';
import type { ClientTls } from '../../src/transport/adapter.ts';
import { OinMismatchError } from '../http/post.ts';
import { PublishChannel } from './publish-channel.ts';

export interface AmqpConnectionsOptions {
  /** Heartbeat in seconds when the URL does not set one: a dead connection is noticed within about twice this. */
  heartbeatSeconds?: number;
  /** Our name in RabbitMQ's connection list; default `schakel-amqp:<host>:<pid>:<random>`. */
  connectionName?: string;
}

/** A broker to publish to: its URL and the TLS profile of an amqps connection. */
export interface BrokerAddress {
  url: string;
  tls?: ClientTls | undefined;
}

/**
 * The adapter's connections: one per broker (URL and TLS profile), shared by every destination on it, opened
 * on first use and again on the first use after it was lost; one confirm channel per destination on it, so a
 * destination whose exchange is missing (the broker closes that channel) does not disturb the others.
 */
export class AmqpConnections {
  private readonly brokers = new Map<string, Broker>();
  private closed = false;
  private readonly options: AmqpConnectionsOptions & { connectionName: string };

  constructor(options: AmqpConnectionsOptions = {}) {
    this.options = {
      ...options,
      connectionName:
        options.connectionName ?? `schakel-amqp:${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    };
  }

  /** The name the connections carry in RabbitMQ's connection list. */
  get connectionName(): string {
    return this.options.connectionName;
  }

  /** The open confirm channel of `destinationId` on this broker; connects (or reconnects) when needed. */
  async channel(address: BrokerAddress, destinationId: string, timeoutMs: number): Promise<PublishChannel> {
    if (this.closed) throw new Error('the AMQP adapter is closed');
    const key = `${address.url}\u0000${address.tls?.profile ?? ''}`;
    let broker = this.brokers.get(key);
    if (!broker) {
      broker = new Broker(address, this.options);
      this.brokers.set(key, broker);
    }
    return broker.channel(destinationId, timeoutMs);
  }

  /** Connections currently open (for tests and health). */
  get openConnections(): number {
    return [...this.brokers.values()].filter((b) => b.connected).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const brokers = [...this.brokers.values()];
    this.brokers.clear();
    await Promise.all(brokers.map((b) => b.close()));
  }
}

/** One broker connection and the destinations' channels on it. */
class Broker {
  private connection: ChannelModel | null = null;
  private connecting: Promise<ChannelModel> | null = null;
  private readonly channels = new Map<string, Promise<PublishChannel>>();
  private closing = false;

  constructor(
    private readonly address: BrokerAddress,
    private readonly options: AmqpConnectionsOptions,
  ) {}

  get connected(): boolean {
    return this.connection !== null;
  }

  async channel(destinationId: string, timeoutMs: number): Promise<PublishChannel> {
    const existing = this.channels.get(destinationId);
    if (existing) {
      const ch = await existing.catch(() => null);
      if (ch?.open) return ch;
      if (this.channels.get(destinationId) === existing) this.channels.delete(destinationId);
      return this.channel(destinationId, timeoutMs);
    }
    const opening = this.connect(timeoutMs).then(
      async (connection) => new PublishChannel(await connection.createConfirmChannel()),
    );
    this.channels.set(destinationId, opening);
    opening.catch(() => {
      if (this.channels.get(destinationId) === opening) this.channels.delete(destinationId);
    });
    return opening;
  }

  private connect(timeoutMs: number): Promise<ChannelModel> {
    if (this.connection) return Promise.resolve(this.connection);
    if (this.connecting) return this.connecting;
    const attempt = this.open(timeoutMs).finally(() => {
      if (this.connecting === attempt) this.connecting = null;
    });
    this.connecting = attempt;
    return attempt;
  }

  private async open(timeoutMs: number): Promise<ChannelModel> {
    const connection = await amqp.connect(withHeartbeat(this.address.url, this.options.heartbeatSeconds ?? 15), {
      timeout: timeoutMs,
      noDelay: true,
      clientProperties: { connection_name: this.options.connectionName },
      ...tlsSocketOptions(this.address.tls),
    });
    if (this.closing) {
      await connection.close().catch(() => undefined);
      throw new Error('the AMQP adapter is closed');
    }
    // An error always comes with a close; the listener keeps it from crashing the process.
    connection.on('error', () => undefined);
    connection.once('close', () => {
      if (this.connection === connection) this.connection = null;
      this.channels.clear();
    });
    this.connection = connection;
    return connection;
  }

  async close(): Promise<void> {
    this.closing = true;
    const pending = this.connecting;
    const connection = this.connection ?? (await pending?.catch(() => null)) ?? null;
    this.connection = null;
    this.channels.clear();
    await connection?.close().catch(() => undefined);
  }
}

/** Client certificate, trusted CAs and, when the profile names one, the OIN the broker's certificate must carry. */
function tlsSocketOptions(profile: ClientTls | undefined): Record<string, unknown> {
  if (!profile) return {};
  const expectedOin = profile.expectedOin;
  return {
    ...profile.options,
    minVersion: 'TLSv1.2',
    ...(expectedOin !== undefined
      ? {
          checkServerIdentity: (host: string, cert: tls.PeerCertificate) => {
            const hostError = tls.checkServerIdentity(host, cert);
            if (hostError) return hostError;
            const got = oinOfPeer(cert);
            return got === expectedOin
              ? undefined
              : new OinMismatchError(
                  `broker certificate carries OIN ${got ?? '(none)'}, profile "${profile.profile}" expects ${expectedOin}`,
                );
          },
        }
      : {}),
  };
}

/** The URL with `heartbeat` set, unless the URL sets it itself. */
function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}
