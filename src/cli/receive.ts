import http from 'node:http';
import { type CommandSpec, type Io, OperatorError, stringOption, UsageError } from './command.ts';
import { listenProblem } from './preflight.ts';

/**
 * `schakel receive [--port 8081]`: a demo receiving system for trying the gateway out. It answers 200 to every
 * POST and prints one line per bericht (path, Schakel headers, size) — never the body, which may hold a BSN.
 */
export const command: CommandSpec = {
  usage: '[--port PORT]',
  options: { port: { type: 'string', short: 'p', value: 'PORT', help: 'port on 127.0.0.1 (default 8081)' } },
  run: (args, io) => {
    const given = stringOption(args, 'port');
    const port = given === undefined ? 8081 : /^[0-9]{1,5}$/.test(given) ? Number(given) : NaN;
    if (!Number.isInteger(port) || port > 65535)
      throw new UsageError(`--port must be a port number 0-65535, not "${given}"`);
    return receive(port, io);
  },
};

async function receive(port: number, io: Io): Promise<number> {
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => {
      const h = (name: string) => String(req.headers[name] ?? '-');
      io.out.write(
        `${new Date().toISOString()} ${req.method} ${req.url} message=${h('x-schakel-message')} id=${h('x-schakel-id')} ` +
          `correlation=${h('x-schakel-correlation')} attempt=${h('x-schakel-attempt')} bytes=${size}\n`,
      );
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new OperatorError(listenProblem(e, '127.0.0.1', port) ?? (e as Error).message)));
    server.listen(port, '127.0.0.1', resolve);
  });
  io.out.write(`demo receiver listening on http://127.0.0.1:${port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  return 0;
}
