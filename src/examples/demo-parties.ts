/**
 * The other parties of `schakel demo`, in one small HTTP server: what the gateway delivers to them arrives as a
 * webhook POST, and they answer through the gateway like real parties would.
 *
 * - /aanbieder/<party>: an aanbieder. It takes each heenbericht (200) and a moment later posts the answer the
 *   examples make for it (`answerTo`, the gateway's own retour builder) on POST /inbound/<party>. A WMO301 is
 *   followed by a start levering (WMO305) and by a stop levering that breaks TR018, which the gateway refuses
 *   and answers with its own WMO308. It does not take a JW319 (400: the delivery fails).
 * - /gemeente/<code>: the gemeente's own system: answers a heenbericht of an aanbieder on POST /berichten.
 * - /cak: the CAK, down for maintenance (503 every time: the delivery is retried until it is dead).
 * - /svb, /jeugdbescherming (config/regio.yaml): the SVB and the justice hub take what they get (200).
 *
 * It prints one line per event: message names, ids and outcomes, never a body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { catalogue } from '../catalogue/catalogue.ts';
import type { BerichtValidator } from '../validation/validator.ts';
import { answerTo } from './answer.ts';
import { makeExample } from './examples.ts';

/** The demo API keys of config/demo.yaml (only their hashes are in the file). */
export const DEMO_KEYS = {
  wijkteam: 'schakel-demo-wijkteam-7Qm2xV9pLk4R',
  'demo-zorg': 'schakel-demo-aanbieder-42420001-Hn3Tz8cWq5Ye',
  'demo-jeugdhulp': 'schakel-demo-aanbieder-65656055-Kp7Rw2Xn4Ub',
} as const;

export interface DemoParties {
  port: number;
  /** Set once the gateway listens. */
  gatewayUrl: string;
  /** Answers still being sent. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface DemoPartiesOptions {
  port: number;
  validator: BerichtValidator;
  log: (line: string) => void;
  /** Delay before an answer is sent (default 300 ms), so the delivery is recorded first. */
  answerDelayMs?: number;
}

/** POSTs a bericht to the gateway; returns the status and the JSON answer. */
export async function postBericht(
  url: string,
  key: string,
  xml: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/xml' },
    body: xml,
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, body };
}

/** A one-line account of a POST's answer (receipt id, or error code and the findings' codes). */
export function outcomeOf(r: { status: number; body: Record<string, unknown> }): string {
  if (r.status === 202 || r.status === 200) return `${r.status} ${String(r.body.status ?? '')} id=${String(r.body.id)}`;
  const error = r.body.error as { code?: string } | undefined;
  const findings = (r.body.findings as { code: string }[] | undefined)?.map((f) => f.code) ?? [];
  return `${r.status} ${error?.code ?? ''}${findings.length ? ` (${findings.join(', ')})` : ''}`;
}

export async function startDemoParties(opts: DemoPartiesOptions): Promise<DemoParties> {
  const pending = new Set<Promise<void>>();
  const delay = opts.answerDelayMs ?? 300;
  const parties: DemoParties = {
    port: 0,
    gatewayUrl: '',
    settled: async () => {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    close: async () => {
      await parties.settled();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /** Runs an answer after the delivery's 200 went out; errors are printed, never thrown into the server. */
  const later = (what: string, fn: () => Promise<void>): void => {
    const p = new Promise<void>((resolve) => setTimeout(resolve, delay))
      .then(fn)
      .catch((e: unknown) => opts.log(`${what}: ${(e as Error).message}`))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  const send = async (who: string, path: string, key: string, xml: string, what: string): Promise<void> => {
    const r = await postBericht(`${parties.gatewayUrl}${path}`, key, xml);
    opts.log(`${who} sends ${what}: ${outcomeOf(r)}`);
  };

  const aanbieder = (party: 'demo-zorg' | 'demo-jeugdhulp', name: string, body: Buffer): number => {
    const entry = catalogue.byName(name);
    if (name === 'JW319') {
      opts.log(`${party} refuses ${name} (400: not supported here)`);
      return 400;
    }
    opts.log(`${party} receives ${name}`);
    if (entry?.direction !== 'heen') return 200;
    later(`${party} answering ${name}`, async () => {
      const answer = answerTo(body, { validator: opts.validator });
      const answerName = opts.validator.validate(Buffer.from(answer)).message ?? 'answer';
      await send(party, `/inbound/${party}`, DEMO_KEYS[party], answer, answerName);
      if (name === 'WMO301') {
        // To the gemeente that sent the WMO301 (config/regio.yaml has three).
        const gemeente = /<(?:\w+:)?Afzender>\s*([0-9]{4})\s*</.exec(body.toString('utf8'))?.[1] ?? '0363';
        await send(
          party,
          `/inbound/${party}`,
          DEMO_KEYS[party],
          makeExample('WMO305', { afzender: '42420001', ontvanger: gemeente }),
          'WMO305 (start levering)',
        );
        await send(
          party,
          `/inbound/${party}`,
          DEMO_KEYS[party],
          makeExample('WMO307', { afzender: '42420001', ontvanger: gemeente, invalid: 'TR018' }),
          'WMO307 breaking TR018',
        );
      }
    });
    return 200;
  };

  const gemeente = (code: string, name: string, body: Buffer): number => {
    opts.log(`gemeente ${code} receives ${name}`);
    const entry = catalogue.byName(name);
    if (entry?.direction === 'heen' && entry.answeredBy.length) {
      later(`gemeente ${code} answering ${name}`, async () => {
        const answer = answerTo(body, { validator: opts.validator });
        await send(
          `gemeente ${code}`,
          '/berichten',
          DEMO_KEYS.wijkteam,
          answer,
          opts.validator.validate(Buffer.from(answer)).message ?? 'answer',
        );
      });
    }
    return 200;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const name = String(req.headers['x-schakel-message'] ?? '');
      const path = req.url ?? '';
      let status = 404;
      const aanbiederMatch = /^\/aanbieder\/(demo-zorg|demo-jeugdhulp)$/.exec(path);
      const gemeenteMatch = /^\/gemeente\/(\d{4})$/.exec(path);
      if (req.method !== 'POST') status = 405;
      else if (aanbiederMatch) status = aanbieder(aanbiederMatch[1] as 'demo-zorg' | 'demo-jeugdhulp', name, body);
      else if (gemeenteMatch) status = gemeente(gemeenteMatch[1]!, name, body);
      else if (path === '/svb' || path === '/jeugdbescherming') {
        opts.log(`${path.slice(1)} receives ${name}`);
        status = 200;
      } else if (path === '/cak') {
        opts.log(`cak is down: ${name} attempt ${String(req.headers['x-schakel-attempt'] ?? '?')} refused (503)`);
        status = 503;
      }
      res
        .writeHead(status, { 'content-type': 'text/plain; charset=utf-8' })
        .end(status === 200 ? 'ontvangen\n' : status === 503 ? 'in onderhoud\n' : 'niet aangenomen\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  parties.port = (server.address() as AddressInfo).port;
  return parties;
}
