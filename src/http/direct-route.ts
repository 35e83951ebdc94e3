import http from 'node:http';
import type { Socket } from 'node:net';
import type express from 'express';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

/** A route express also has, answered here without its router when a request asks for it exactly. */
export interface DirectRoute {
  method: string;
  /** The path as the route is registered; only a request for exactly this URL (no query, same case) comes here. */
  path: string;
  /** The middlewares every request goes through (express's first layer), then the route's own handlers. */
  everyRequest: RequestHandler;
  handlers: readonly RequestHandler[];
  /** What express does after the route: the 404 of the app, and its error handler. */
  notFound: RequestHandler;
  onError: ErrorRequestHandler;
}

/**
 * The gateway's request listener: `route` answered directly, every other request by `app` (issue #17). Nearly
 * every request is POST /berichten, and for it express's router walked its layers (a path match and closures per
 * layer, then a second walk through the route's own stack); without that walk the event loop spent about an eighth
 * less per delivered message (docs/benchmarks.md, "Eighth round").
 *
 * A direct request gets what express gives every request (the app's request and response prototypes, so req.ip,
 * res.set … are express's own; req.res, res.req, res.locals) and what its router gives a matched route (originalUrl,
 * baseUrl, params, route), then the same middlewares as the registered route in the same order, with the router's
 * meaning of next (but see NO_ROUTER) and its catching of throws and rejected promises. Any other form of the path
 * (a query string, a trailing slash, other case) and any other request goes to express, where the same route is
 * registered; `registeredAs` checks at start that the two run the same.
 */
export function withDirectRoute(app: express.Express, route: DirectRoute): http.RequestListener {
  const registered = registeredAs(app, route);
  const { handlers, everyRequest, notFound, onError } = route;

  return (incoming, outgoing) => {
    if (incoming.method !== route.method || incoming.url !== route.path) {
      app(incoming, outgoing);
      return;
    }
    // As express's app.handle before its router.
    const req = incoming as Request;
    const res = outgoing as Response;
    req.res = res;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    if (!res.locals) res.locals = Object.create(null) as Record<string, unknown>;
    // As its router for a matched route.
    req.baseUrl = '';
    req.originalUrl = req.url;
    req.params = {};
    req.route = registered;

    const failed = (err: unknown) => onError(err === 'router' ? new Error(NO_ROUTER) : err, req, res, unreachable);
    let i = 0;
    const next: NextFunction = (err?: unknown) => {
      if (err === 'route') return run(notFound, req, res, failed);
      if (err) return failed(err);
      const handler = handlers[i++];
      run(handler ?? notFound, req, res, next);
    };
    // A middleware layer's 'route' means: go on.
    run(everyRequest, req, res, (err?: unknown) => (err && err !== 'route' ? failed(err) : next()));
  };
}

interface Layer {
  handle: unknown;
  route?: { path: string; methods: Record<string, boolean>; stack: Layer[] };
}

/**
 * The app's own route for `route`, checked to be what the direct route runs: before it in express's stack only
 * `everyRequest` and other paths' routes, and its handlers the same functions in the same order. A middleware
 * added to the app later, before the route, would otherwise be skipped by direct requests without a word.
 */
function registeredAs(app: express.Express, route: DirectRoute): NonNullable<Layer['route']> {
  const method = route.method.toLowerCase();
  const stack = app.router.stack as Layer[];
  const at = stack.findIndex(
    (l) => l.route !== undefined && l.route.path.toLowerCase() === route.path.toLowerCase() && l.route.methods[method],
  );
  const r = stack[at]?.route;
  if (!r) throw new Error(`${route.method} ${route.path} is not a route of the app`);
  if (stack.slice(0, at).some((l) => !l.route && l.handle !== route.everyRequest))
    throw new Error(`a middleware before ${route.method} ${route.path} that its direct route would not run`);
  const same =
    r.path === route.path &&
    r.stack.length === route.handlers.length &&
    r.stack.every((l, i) => l.handle === route.handlers[i]);
  if (!same) throw new Error(`${route.method} ${route.path} is registered with other handlers than its direct route`);
  return r;
}

/** One handler as the router's layer runs it: a throw, or a rejected promise, goes to `next` as an error. */
function run(handler: RequestHandler, req: Request, res: Response, next: NextFunction): void {
  try {
    const returned: unknown = handler(req, res, next);
    if (returned instanceof Promise) returned.then(undefined, (e: unknown) => next(e ?? new Error('Rejected promise')));
  } catch (e) {
    next(e);
  }
}

/**
 * next('router') would leave express's router for its final handler (an HTML 404), which a direct request does not
 * have; none of the gateway's handlers does it, so a direct request that tries is an error of ours, logged as one.
 */
const NO_ROUTER = "next('router') on a direct route: it has no router to leave";

const unreachable: NextFunction = () => {
  // The error handler always answers; express's final handler is not reached from it.
};

/** The server's request and response classes (http.ServerOptions): express's own prototypes from the start. */
export interface ServerClasses {
  IncomingMessage: typeof http.IncomingMessage;
  ServerResponse: typeof http.ServerResponse;
}

/**
 * Classes whose instances are made with the app's request and response prototypes (issue #17). Express gives every
 * request and response these prototypes with Object.setPrototypeOf, which cost as much per message as the router's
 * walk; made with them from the start, that call finds nothing to change. Node's IncomingMessage and ServerResponse
 * are plain constructor functions, called here on the new object as a subclass would.
 */
export function serverClassesOf(app: express.Express): ServerClasses {
  const IncomingMessage = http.IncomingMessage as unknown as (this: unknown, socket: Socket) => void;
  const ServerResponse = http.ServerResponse as unknown as (this: unknown, req: unknown, options: unknown) => void;
  function Request(this: unknown, socket: Socket): void {
    IncomingMessage.call(this, socket);
  }
  Request.prototype = app.request;
  function Response(this: unknown, req: http.IncomingMessage, options: unknown): void {
    ServerResponse.call(this, req, options);
  }
  Response.prototype = app.response;
  return {
    IncomingMessage: Request as unknown as typeof http.IncomingMessage,
    ServerResponse: Response as unknown as typeof http.ServerResponse,
  };
}
