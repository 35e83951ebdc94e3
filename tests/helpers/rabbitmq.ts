/** RabbitMQ helpers for integration tests: server-side connection closes and queue inspection. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { deleteTopology, type Topology } from '../../src/transport/rabbitmq-topology.ts';
import { AMQP_URL } from './services.ts';

const run = promisify(execFile);

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/** Closes, from the broker's side, every connection whose client named itself with `connectionName`. */
export async function closeConnectionsNamed(connectionName: string): Promise<number> {
  const lines = (await rabbitmqctl('list_connections', 'pid', 'client_properties', '-q')).split('\n').slice(1);
  const pids = lines
    .filter((l) => l.includes(`{"connection_name","${connectionName}"}`))
    .map((l) => l.split('\t')[0]!)
    .filter((pid) => /^<[^>]+>$/.test(pid));
  for (const pid of pids) await rabbitmqctl('close_connection', pid, 'test: connection lost');
  return pids.length;
}

/** Messages ready + unacknowledged in a queue (0 when it does not exist). */
export async function queueDepth(queue: string, url = AMQP_URL): Promise<number> {
  const connection = await amqp.connect(url);
  try {
    const ch = await connection.createChannel();
    ch.on('error', () => undefined);
    const q = await ch.checkQueue(queue).catch(() => null);
    return q?.messageCount ?? 0;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Deletes the exchanges and queues of a test's topology. */
export async function removeTopology(t: Topology, destinations: readonly string[], url = AMQP_URL): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const ch = await connection.createChannel();
    await deleteTopology(ch, t, destinations);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
