/**
 * Retention as configured: the built-in StUF-Jeugdzorg ages (CORV: content 24 hours after delivery, traffic data
 * 6 months) apply without configuration, a configured override replaces the body and the metadata age
 * separately, and the amqp destination's shape is checked at load time.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { retentionAges } from '../../src/store/retention.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function ages(yaml: string) {
  return retentionAges(parseConfig(yaml, 'test.yaml', { env: {} }).retention);
}

describe('retention ages', () => {
  it('keeps StUF-JZ bodies 24 hours and its metadata 183 days without any configuration', () => {
    const a = ages('{}');
    expect(a.body).toEqual({ default: 30 * DAY, perStandard: { 'stuf-jz': 24 * HOUR } });
    expect(a.metadata).toEqual({ default: 730 * DAY, perStandard: { 'stuf-jz': 183 * DAY } });
  });

  it('keeps the built-in StUF-JZ ages when only other standards are configured', () => {
    const a = ages('retention: { bodyDays: 10, perStandard: { ggk: { bodyDays: 5 } } }');
    expect(a.body).toEqual({ default: 10 * DAY, perStandard: { ggk: 5 * DAY, 'stuf-jz': 24 * HOUR } });
    expect(a.metadata.perStandard).toEqual({ 'stuf-jz': 183 * DAY });
  });

  it('lets a configured StUF-JZ body age go lower or higher, in hours or days, keeping the metadata age', () => {
    expect(ages('retention: { perStandard: { stuf-jz: { bodyHours: 6 } } }').body.perStandard['stuf-jz']).toBe(
      6 * HOUR,
    );
    const days = ages('retention: { perStandard: { stuf-jz: { bodyDays: 2 } } }');
    expect(days.body.perStandard['stuf-jz']).toBe(2 * DAY);
    expect(days.metadata.perStandard['stuf-jz']).toBe(183 * DAY);
  });

  it('lets a configured StUF-JZ metadata age replace the 183 days, keeping the 24-hour body age', () => {
    const a = ages('retention: { perStandard: { stuf-jz: { metadataDays: 90 } } }');
    expect(a.body.perStandard['stuf-jz']).toBe(24 * HOUR);
    expect(a.metadata.perStandard['stuf-jz']).toBe(90 * DAY);
  });
});

describe('amqp destination configuration', () => {
  const config = (destination: string) =>
    parseConfig(`destinations:\n  - ${destination}\n`, 'test.yaml', { env: {} }).destinations[0];

  it('takes an exchange with a routing key, or a queue, with a 10 s default timeout', () => {
    expect(config('{ id: a, adapter: amqp, url: "amqp://mq:5672/v", exchange: x, routingKey: k }')).toEqual({
      id: 'a',
      adapter: 'amqp',
      url: 'amqp://mq:5672/v',
      exchange: 'x',
      routingKey: 'k',
      timeoutMs: 10_000,
    });
    expect(config('{ id: a, adapter: amqp, url: "amqps://mq/v", queue: berichten, timeoutMs: 2000 }')).toMatchObject({
      queue: 'berichten',
      timeoutMs: 2000,
    });
  });

  it('refuses both an exchange and a queue, neither, and a non-AMQP URL, naming the line', () => {
    const refused = (destination: string) => {
      try {
        config(destination);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused('{ id: a, adapter: amqp, url: "amqp://mq", exchange: x, queue: q }')).toMatch(
      /destinations\[0\].*line 2.*give either exchange \(with routingKey\) or queue/,
    );
    expect(refused('{ id: a, adapter: amqp, url: "amqp://mq" }')).toMatch(
      /give either exchange \(with routingKey\) or queue/,
    );
    expect(refused('{ id: a, adapter: amqp, url: "http://mq", queue: q }')).toMatch(
      /destinations\[0\]\.url.*must be an amqp\(s\) URL/,
    );
  });
});
