import http from 'node:http';

/**
 * `schakel receive [--port 8081]`: a demo receiving system for trying the gateway out. It answers 200 to every
 * POST and prints one line per bericht (path, Schakel headers, size) — never the body, which may hold a BSN.
 */
export async function runReceive(argv: string[]): Promise<number> {
  const i = argv.indexOf('--port');
  const port = i >= 0 ? Number(argv[i + 1]) : 8081;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: schakel receive [--port 8081]\n');
    return 2;
  }
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => {
      const h = (name: string) => String(req.headers[name] ?? '-');
      process.stdout.write(
        `${new Date().toISOString()} ${req.method} ${req.url} message=${h('x-schakel-message')} id=${h('x-schakel-id')} ` +
          `correlation=${h('x-schakel-correlation')} attempt=${h('x-schakel-attempt')} bytes=${size}\n`,
      );
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write(`demo receiver listening on http://127.0.0.1:${port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  return 0;
}
