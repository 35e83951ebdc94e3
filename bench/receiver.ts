/**
 * The receiving party of `bench:ingest`, as its own process so its CPU is counted apart from the load generator:
 * an HTTP server on a free local port that answers every request 200 and counts the distinct `x-schakel-id`s it
 * got (a delivery made twice, at least once, counts once). Talks to its parent over the IPC channel: sends
 * `{ port }` once listening, answers `'count'` with `{ requests, delivered }`, and exits when the parent goes.
 */
import { createServer } from 'node:http';

if (!process.send) throw new Error('bench/receiver.ts runs as a child process with an IPC channel');
const send = process.send.bind(process);
const seen = new Set<string>();
let requests = 0;

const server = createServer((req, res) => {
  req.on('end', () => {
    requests++;
    const id = req.headers['x-schakel-id'];
    if (typeof id === 'string') seen.add(id);
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  });
  req.resume();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => send({ port: (server.address() as { port: number }).port }));

process.on('message', (m) => {
  if (m === 'count') send({ requests, delivered: seen.size });
});
process.on('disconnect', () => process.exit(0));
