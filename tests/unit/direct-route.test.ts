import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serverClassesOf, withDirectRoute } from '../../src/http/direct-route.ts';

/**
 * The direct route must behave as express's router does for the same route: what the handlers see on req and
 * res, the order, next('route') / next('router') / next(err), throws and rejected promises. Every case is asked
 * twice: exactly `/berichten` (answered directly) and `/Berichten` (express matches case-insensitively, so the
 * router answers it), and the answers must be the same.
 */
const app = express();
app.set('etag', false);
app.set('trust proxy', 'loopback');

const mode = (req: http.IncomingMessage) => String(req.headers['x-mode'] ?? 'ok');

const everyRequest: RequestHandler = (req, res, next) => {
  res.setHeader('X-Every', 'yes');
  res.locals.order = ['every'];
  if (mode(req) === 'every-throw') throw new Error('thrown by the first layer');
  if (mode(req) === 'every-router') return next('router');
  if (mode(req) === 'every-route') return next('route');
  next();
};
const handlers: RequestHandler[] = [
  (req, res, next) => {
    (res.locals.order as string[]).push('first');
    switch (mode(req)) {
      case 'throw':
        throw new Error('thrown by a handler');
      case 'route':
        return next('route');
      case 'router':
        return next('router');
      case 'error':
        return next(new Error('passed to next'));
      default:
        next();
    }
  },
  async (req, res, next) => {
    (res.locals.order as string[]).push('second');
    if (mode(req) === 'reject') throw new Error('rejected');
    if (mode(req) === 'fall-through') return next();
    await new Promise((r) => setImmediate(r));
    res.status(201).json({
      order: res.locals.order,
      route: `${req.baseUrl}${(req.route as { path: string }).path}`,
      params: req.params,
      ip: req.ip,
      path: req.path.toLowerCase(),
      query: req.query,
      protocol: req.protocol,
      header: req.get('x-mode') ?? null,
      hasApp: req.app === app && res.app === app,
      pairs: req.res === res && res.req === req,
    });
  },
];
const notFound: RequestHandler = (_req, res) => {
  res.status(404).json({ notFound: true });
};
const onError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
  res.status(500).json({ error: err.message, order: res.locals.order });
};
app.use(everyRequest);
app.post('/berichten', ...handlers);
app.use(notFound);
app.use(onError);
const listener = withDirectRoute(app, {
  method: 'POST',
  path: '/berichten',
  everyRequest,
  handlers,
  notFound,
  onError,
});

interface Answer {
  status: number;
  every: string | undefined;
  body: unknown;
}

function ask(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          every: res.headers['x-every'] as string | undefined,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        }),
      );
    });
    req.on('error', reject);
    req.end('<bericht/>');
  });
}

describe.each([
  ['made by Node', {}],
  ["made with the app's classes", serverClassesOf(app)],
])('a direct route answers as express does, requests and responses %s', (_made, classes) => {
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer(classes, listener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const modes = ['ok', 'throw', 'route', 'error', 'reject', 'fall-through', 'every-throw', 'every-route'];
  it.each(modes)('%s: the same answer directly and through the router', async (m) => {
    const handle = vi.spyOn(app as unknown as { handle: (...a: unknown[]) => void }, 'handle');
    const headers = { 'x-mode': m, 'x-forwarded-for': '203.0.113.7' };
    const direct = await ask(port, '/berichten', headers);
    expect(handle, 'the exact path does not go through express').not.toHaveBeenCalled();
    const routed = await ask(port, '/Berichten', headers);
    expect(handle, 'another form of the path goes through express').toHaveBeenCalledTimes(1);
    handle.mockRestore();
    expect(direct).toEqual(routed);
  });

  it('gives the handlers what the router gives them (express request and response, route, trusted proxy)', async () => {
    const direct = await ask(port, '/berichten', { 'x-forwarded-for': '203.0.113.7' });
    expect(direct).toEqual({
      status: 201,
      every: 'yes',
      body: {
        order: ['every', 'first', 'second'],
        route: '/berichten',
        params: {},
        ip: '203.0.113.7',
        path: '/berichten',
        query: {},
        protocol: 'http',
        header: null,
        hasApp: true,
        pairs: true,
      },
    });
  });

  it.each(['router', 'every-router'])(
    "%s: next('router') has no router to leave, and is answered as an error of the gateway",
    async (m) => {
      const direct = await ask(port, '/berichten', { 'x-mode': m });
      expect(direct.status).toBe(500);
      expect(direct.body).toMatchObject({ error: expect.stringMatching(/no router to leave/) });
    },
  );

  it('leaves other methods and paths to express', async () => {
    const handle = vi.spyOn(app as unknown as { handle: (...a: unknown[]) => void }, 'handle');
    const answer = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/berichten' }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });
    expect(answer).toBe(404);
    expect(handle).toHaveBeenCalledTimes(1);
    handle.mockRestore();
  });

  it('refuses an app in which a direct request would miss something: a middleware before the route, other handlers', () => {
    const other = express();
    other.use(everyRequest);
    other.use((_req, _res, next) => next());
    other.post('/berichten', ...handlers);
    expect(() =>
      withDirectRoute(other, { method: 'POST', path: '/berichten', everyRequest, handlers, notFound, onError }),
    ).toThrow(/a middleware before POST \/berichten/);
    const fewer = express();
    fewer.use(everyRequest);
    fewer.post('/berichten', ...handlers.slice(1));
    expect(() =>
      withDirectRoute(fewer, { method: 'POST', path: '/berichten', everyRequest, handlers, notFound, onError }),
    ).toThrow(/other handlers/);
    const earlier = express();
    earlier.use(everyRequest);
    earlier.post('/Berichten', (_req, res) => res.end());
    earlier.post('/berichten', ...handlers);
    expect(() =>
      withDirectRoute(earlier, { method: 'POST', path: '/berichten', everyRequest, handlers, notFound, onError }),
    ).toThrow(/other handlers/);
  });

  it('refuses a path that is not a route of the app', () => {
    expect(() =>
      withDirectRoute(app, { method: 'PUT', path: '/berichten', everyRequest, handlers, notFound, onError }),
    ).toThrow(/not a route/);
  });
});

describe("the server's classes", () => {
  it("make requests and responses with the app's prototypes, as Node's own would be made otherwise", async () => {
    const seen: boolean[] = [];
    const server = http.createServer(serverClassesOf(app), (req, res) => {
      seen.push(
        Object.getPrototypeOf(req) === app.request,
        Object.getPrototypeOf(res) === app.response,
        req instanceof http.IncomingMessage,
        res instanceof http.ServerResponse,
        res.req === req,
      );
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    await new Promise<void>((r) => server.close(() => r()));
    expect(body).toBe('ok');
    expect(seen).toEqual([true, true, true, true, true]);
  });
});
