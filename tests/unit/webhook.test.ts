import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRetryAfter, webhookAdapter } from '../../adapters/webhook/index.ts';
import type { WebhookDestination } from '../../src/config/schema.ts';
import type { OutgoingMessage } from '../../src/transport/adapter.ts';
import { type Receiver, type Reply, startReceiver } from '../helpers/http-receiver.ts';

const BODY = '<?xml version="1.0" encoding="UTF-8"?><Bericht><Header/></Bericht>';

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id: '0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b',
    standard: 'iwmo',
    release: '3.2',
    messageName: 'WMO301',
    direction: 'heen',
    afzender: '0363',
    ontvanger: '42420001',
    berichtIdentificatie: 'ID-1',
    referentienummer: null,
    crossRef: null,
    correlatedTo: null,
    body: Buffer.from(BODY),
    attempt: 1,
    ...overrides,
  };
}

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function receiverAnswering(reply: Reply): Promise<WebhookDestination> {
  receiver = await startReceiver(() => reply);
  return { id: 'receiver', adapter: 'webhook', url: `${receiver.url}/berichten`, timeoutMs: 2000, headers: {} };
}

const adapter = webhookAdapter();
const deliver = (d: WebhookDestination, m = message(), signal = new AbortController().signal) =>
  adapter.deliver(m, d, signal);

describe('webhook adapter', () => {
  it('POSTs the exact body as application/xml with the Schakel headers and configured headers', async () => {
    const d = await receiverAnswering({ status: 202, body: 'accepted\n' });
    const body = Buffer.concat([Buffer.from(BODY), Buffer.from([0xc3, 0xa9])]);
    const outcome = await deliver({ ...d, headers: { Authorization: 'Bearer demo' } }, message({ attempt: 3, body }));
    expect(outcome).toEqual({ kind: 'delivered', status: 202, answer: 'accepted' });
    const [req] = receiver!.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/berichten' });
    expect(req!.body.equals(body)).toBe(true);
    expect(req!.headers).toMatchObject({
      'content-type': 'application/xml',
      'x-schakel-id': message().id,
      'x-schakel-message': 'WMO301',
      'x-schakel-correlation': message().id,
      'x-schakel-attempt': '3',
      authorization: 'Bearer demo',
    });
  });

  it('correlates a retour with the heenbericht it answers', async () => {
    const d = await receiverAnswering({ status: 200 });
    await deliver(d, message({ messageName: 'WMO302', direction: 'retour', correlatedTo: 'heen-id' }));
    expect(receiver!.requests[0]!.headers['x-schakel-correlation']).toBe('heen-id');
  });

  it('does not let configured headers replace the Schakel headers', async () => {
    const d = await receiverAnswering({ status: 200 });
    await deliver({ ...d, headers: { 'Content-Type': 'text/plain', 'X-Schakel-Id': 'spoofed' } });
    expect(receiver!.requests[0]!.headers).toMatchObject({
      'content-type': 'application/xml',
      'x-schakel-id': message().id,
    });
  });

  it.each([408, 429, 500, 502, 503, 504])('retries on HTTP %i', async (status) => {
    const outcome = await deliver(await receiverAnswering({ status, body: 'busy' }));
    expect(outcome).toMatchObject({ kind: 'retry', status, answer: 'busy' });
    expect(outcome.kind === 'retry' && outcome.reason).toMatch(new RegExp(`^HTTP ${status}`));
  });

  it('passes Retry-After on', async () => {
    const outcome = await deliver(await receiverAnswering({ status: 503, headers: { 'Retry-After': '120' } }));
    expect(outcome).toMatchObject({ kind: 'retry', status: 503, retryAfterMs: 120_000 });
  });

  it.each([400, 401, 403, 404, 409, 413, 422])('fails without retry on HTTP %i', async (status) => {
    const outcome = await deliver(await receiverAnswering({ status, body: 'Ontvanger onbekend' }));
    expect(outcome).toMatchObject({ kind: 'failed', status, answer: 'Ontvanger onbekend' });
    expect(outcome.kind === 'failed' && outcome.reason).toMatch(new RegExp(`^HTTP ${status}`));
  });

  it('does not follow redirects', async () => {
    const d = await receiverAnswering({ status: 307, headers: { Location: '/elders' } });
    const outcome = await deliver(d);
    expect(outcome).toMatchObject({ kind: 'failed', status: 307 });
    expect(outcome.kind === 'failed' && outcome.reason).toMatch(/redirects are not followed/);
    expect(receiver!.requests.map((r) => r.path)).toEqual(['/berichten']);
  });

  it('retries when the connection drops', async () => {
    const outcome = await deliver(await receiverAnswering({ status: 200, hangUp: true }));
    expect(outcome.kind).toBe('retry');
    expect(outcome.kind === 'retry' && outcome.reason).toMatch(/^network error: /);
  });

  it('retries when nothing listens on the port', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    await new Promise((resolve) => server.close(resolve));
    const d: WebhookDestination = {
      id: 'x',
      adapter: 'webhook',
      url: `http://127.0.0.1:${port}/`,
      timeoutMs: 2000,
      headers: {},
    };
    expect(await deliver(d)).toEqual({ kind: 'retry', reason: 'network error: ECONNREFUSED' });
  });

  it('retries after the configured timeout', async () => {
    const d = await receiverAnswering({ status: 200, delayMs: 1000 });
    expect(await deliver({ ...d, timeoutMs: 50 })).toEqual({ kind: 'retry', reason: 'timeout after 50 ms' });
  });

  it('stops when the transport aborts', async () => {
    const d = await receiverAnswering({ status: 200, delayMs: 1000 });
    const controller = new AbortController();
    const pending = deliver(d, message(), controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toEqual({ kind: 'retry', reason: 'aborted before the receiver answered' });
  });

  it('keeps only the start of a long answer', async () => {
    const d = await receiverAnswering({ status: 200, body: 'x'.repeat(100_000) });
    const outcome = await webhookAdapter({ answerBytes: 64 }).deliver(message(), d, new AbortController().signal);
    expect(outcome).toEqual({ kind: 'delivered', status: 200, answer: 'x'.repeat(64) });
  });

  it('refuses a destination of another adapter', async () => {
    const ggk = {
      id: 'ggk',
      adapter: 'ggk',
      url: 'https://ggk.example',
      timeoutMs: 1000,
      applicatie: 'Schakel',
    } as const;
    expect(await adapter.deliver(message(), ggk, new AbortController().signal)).toMatchObject({ kind: 'failed' });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 15, 12, 0, 0);
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 15 Jan 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Thu, 15 Jan 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
