import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const BSN = '123456782';

describe('logger', () => {
  it('masks nine-digit runs in the message, fields, nested objects and arrays', () => {
    const { logger, lines, records } = capture();
    logger.info({ client: `BSN ${BSN}`, nested: { list: [`x${BSN}y`, 'ok'] }, count: 3 }, `rejected ${BSN}`);
    logger.warn('format %s and %o', BSN, { bsnLike: BSN });
    expect(lines.join('\n')).not.toContain(BSN);
    const [first, second] = records();
    expect(first).toMatchObject({
      msg: 'rejected *********',
      client: 'BSN *********',
      nested: { list: ['x*********y', 'ok'] },
      count: 3,
    });
    expect(second!.msg).toContain('format *********');
  });

  it('leaves shorter and longer digit runs alone', () => {
    const { logger, records } = capture();
    logger.info({ agb: '42420001', oin: '00000002003214436001', ten: '1234567890', date: '20260115' }, 'gemeente 0363');
    expect(records()[0]).toMatchObject({
      agb: '42420001',
      oin: '00000002003214436001',
      ten: '1234567890',
      date: '20260115',
      msg: 'gemeente 0363',
    });
  });

  it('masks child bindings and error messages and stacks', () => {
    const { logger, lines, records } = capture();
    const child = logger.child({ requestId: 'req-1', afzender: BSN });
    child.error({ err: new TypeError(`bad Bsn ${BSN}`) }, 'failed');
    child.child({ step: `deliver ${BSN}` }).error(new Error(`thrown for ${BSN}`));
    expect(lines.join('\n')).not.toContain(BSN);
    const [a, b] = records();
    expect(a).toMatchObject({ requestId: 'req-1', afzender: '*********', msg: 'failed' });
    expect(a!.err).toMatchObject({ type: 'TypeError', message: 'bad Bsn *********' });
    expect((a!.err as { stack: string }).stack).toContain('TypeError: bad Bsn *********');
    expect(b).toMatchObject({ requestId: 'req-1', step: 'deliver *********', msg: 'thrown for *********' });
  });

  it('censors bsn and body fields whatever they hold', () => {
    const { logger, records } = capture();
    logger.info({ bsn: 'not-digits', Bsn: 'x', body: '<Bericht/>', message: { body: '<x/>', id: 'm1' } }, 'fields');
    expect(records()[0]).toMatchObject({
      bsn: '[redacted]',
      Bsn: '[redacted]',
      body: '[redacted]',
      message: { body: '[redacted]', id: 'm1' },
    });
  });

  it('summarises binary data instead of writing it', () => {
    const { logger, records } = capture();
    logger.info({ payload: Buffer.from(`<Bsn>${BSN}</Bsn>`) }, 'binary');
    expect(records()[0]!.payload).toBe('[binary 20 bytes]');
  });

  it('survives circular objects', () => {
    const { logger, records } = capture();
    const a: Record<string, unknown> = { name: BSN };
    a.self = a;
    logger.info({ a }, 'circular');
    expect(records()[0]).toMatchObject({ a: { name: '*********', self: '[Circular]' } });
  });
});
