/**
 * Batched acknowledgements on a real RabbitMQ queue: out-of-order acks of one turn go out as one `multiple` ack
 * below the oldest delivery still open plus single acks above it, and the open delivery is never covered: after
 * the channel closes RabbitMQ redelivers exactly it.
 */
import amqp, { type ConsumeMessage } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { ChannelAcks } from '../../src/transport/rabbitmq-acks.ts';
import { queueDepth } from '../helpers/rabbitmq.ts';
import { AMQP_URL, probeRabbitMq, servicesAvailable, uniqueName } from '../helpers/services.ts';

const available = await servicesAvailable('RabbitMQ batched acks', probeRabbitMq());
const queue = uniqueName('schakel-acks');

async function consume(count: number) {
  const connection = await amqp.connect(AMQP_URL);
  const ch = await connection.createChannel();
  await ch.prefetch(count);
  const got: ConsumeMessage[] = [];
  let lost = 0;
  const acks = new ChannelAcks(
    ch,
    () => true,
    (n) => (lost += n),
  );
  const all = new Promise<void>((resolve) => {
    void ch.consume(queue, (m) => {
      if (!m) return;
      acks.received(m);
      got.push(m);
      if (got.length === count) resolve();
    });
  });
  await all;
  return { connection, ch, got, acks, lost: () => lost };
}

if (available) {
  afterAll(async () => {
    const connection = await amqp.connect(AMQP_URL);
    const ch = await connection.createChannel();
    await ch.deleteQueue(queue).catch(() => undefined);
    await connection.close();
  });
}

describe.skipIf(!available)('ChannelAcks on RabbitMQ', () => {
  it('acks out of order in few frames, never covering the delivery still open', async () => {
    const setup = await amqp.connect(AMQP_URL);
    const pub = await setup.createConfirmChannel();
    await pub.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    for (let i = 0; i < 10; i++) pub.sendToQueue(queue, Buffer.from(String(i)), { persistent: true });
    await pub.waitForConfirms();
    await setup.close();

    const first = await consume(10);
    const byBody = (b: string) => first.got.find((m) => m.content.toString() === b)!;
    // Everything but message 6 finished, in a scrambled order, within one turn.
    for (const b of ['3', '0', '9', '1', '5', '2', '8', '4', '7']) first.acks.ack(byBody(b));
    first.acks.flush();
    // One multiple ack for 0–5, single acks for 7, 8, 9.
    expect(first.acks.stats).toEqual({ frames: 4, settled: 9 });
    expect(first.lost()).toBe(0);
    await first.ch.close();
    await first.connection.close();

    // Only message 6 comes back.
    const second = await consume(1);
    expect(second.got.map((m) => m.content.toString())).toEqual(['6']);
    second.acks.ack(second.got[0]!);
    second.acks.flush();
    await second.ch.close();
    await second.connection.close();
    expect(await queueDepth(queue)).toBe(0);
  });
});
