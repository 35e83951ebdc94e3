import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJsonText } from '../../src/http/json-answer.ts';

/** What express answers and what sendJsonText answers must be the same, byte for byte (the Date aside). */
type Answer = (res: Response, status: number, text: string, location?: string) => void;

const viaExpress: Answer = (res, status, text, location) => {
  res.status(status);
  if (location !== undefined) res.location(location);
  res.type('application/json').send(text);
};

const viaJson: Answer = (res, status, text, location) => {
  res.status(status);
  if (location !== undefined) res.location(location);
  res.json(JSON.parse(text));
};

const BODY = JSON.stringify({ id: 'a1b2', message: 'WMO301', note: 'ë € 😀' });

function appWith(etag: boolean): express.Express {
  const app = express();
  app.set('etag', etag);
  app.use((_req, res, next) => {
    res.setHeader('X-Request-Id', 'r1');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  const answers: Record<string, Answer> = { express: viaExpress, json: viaJson, fast: sendJsonText };
  app.all('/:how/:status', (req, res) => {
    const location = typeof req.query.location === 'string' ? req.query.location : undefined;
    answers[String(req.params.how)]!(res, Number(req.params.status), BODY, location);
  });
  return app;
}

function ask(port: number, method: string, path: string): Promise<{ status: number; raw: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (res.rawHeaders[i]!.toLowerCase() !== 'date') raw.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({ status: res.statusCode!, raw, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sendJsonText answers as express does', () => {
  const servers: http.Server[] = [];
  const ports: Record<'plain' | 'etag', number> = { plain: 0, etag: 0 };
  beforeAll(async () => {
    for (const [k, etag] of [
      ['plain', false],
      ['etag', true],
    ] as const) {
      const server = http.createServer(appWith(etag));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      ports[k] = (server.address() as AddressInfo).port;
    }
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  const cases: [string, number, string?][] = [
    ['POST', 202, '/berichten/0b0e6d6c-4a57-4d1f-9a55-6b8d2a1c9e01'],
    ['POST', 200, '/berichten/x'],
    ['POST', 409],
    ['POST', 422],
    ['GET', 404],
    ['GET', 200],
    ['HEAD', 200],
    ['HEAD', 401],
    ['POST', 202, '/berichten/a b/ë'],
  ];
  for (const app of ['plain', 'etag'] as const) {
    for (const [method, status, location] of cases) {
      it(`${app} app: ${method} answered ${status}${location ? ` with Location ${location}` : ''}`, async () => {
        const q = location ? `?location=${encodeURIComponent(location)}` : '';
        const expected = await ask(ports[app], method, `/express/${status}${q}`);
        const fast = await ask(ports[app], method, `/fast/${status}${q}`);
        expect(fast).toEqual(expected);
        expect(expected.status).toBe(status);
        // res.json gives the same answer as res.type('application/json').send (what answer.ts used for the receipt).
        expect(await ask(ports[app], method, `/json/${status}${q}`)).toEqual(expected);
      });
    }
  }
});
