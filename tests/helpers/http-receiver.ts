import { createServer, type IncomingHttpHeaders } from 'node:http';

/** A request the receiver got, with the exact body bytes. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (to hold a delivery in flight). */
  delayMs?: number;
  /** Close the connection instead of answering. */
  hangUp?: boolean;
}

export interface Receiver {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  requests: ReceivedRequest[];
  /** Most requests that were being answered at the same time. */
  maxConcurrent: number;
  close(): Promise<void>;
}

/**
 * A real HTTP server on a random local port that stands in for an external receiver. `answer` gets each
 * request and its 0-based number and says how to reply.
 */
export async function startReceiver(
  answer: (request: ReceivedRequest, index: number) => Reply = () => ({ status: 200 }),
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let concurrent = 0;
  const receiver = { url: '', requests, maxConcurrent: 0, close: async () => {} } satisfies Receiver;
  const server = createServer((req, res) => {
    concurrent++;
    receiver.maxConcurrent = Math.max(receiver.maxConcurrent, concurrent);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      const index = requests.push(request) - 1;
      const reply = answer(request, index);
      setTimeout(() => {
        concurrent--;
        if (res.destroyed) return;
        if (reply.hangUp) return void req.socket.destroy();
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? '');
      }, reply.delayMs ?? 0).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
