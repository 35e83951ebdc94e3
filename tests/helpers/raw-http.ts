/**
 * A plain node:http client for hostile-input tests: streamed, dripped or oversized bodies, exact headers, and
 * the answer even when the server answers before the body is sent. Plus the resident memory of a process.
 */
import fs from 'node:fs';
import http, { type ClientRequest, type IncomingHttpHeaders } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body when it is JSON, else null. */
  json: any;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string | number>;
  /** The whole body, or a writer that streams it (it should stop once `answered()` is true). */
  body?: Buffer | string | ((req: ClientRequest, answered: () => boolean) => Promise<void>);
  /** Give up (reject) after this long without an answer. */
  timeoutMs?: number;
}

/**
 * Sends one request on its own connection and resolves with the answer. Rejects when the connection ends
 * without an answer (the error says how), or after `timeoutMs`.
 */
export function rawRequest(url: string, r: RawRequest = {}): Promise<RawAnswer> {
  const u = new URL(url);
  return new Promise<RawAnswer>((resolve, reject) => {
    let answered = false;
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method: r.method ?? 'POST',
      headers: { connection: 'close', ...r.headers },
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${r.timeoutMs} ms`));
    }, r.timeoutMs ?? 60_000);
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        if ((res.headers['content-type'] ?? '').includes('json')) json = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.on('error', (e) => {
      if (answered) return; // the server answered and closed while the body was still being sent
      clearTimeout(timer);
      reject(e);
    });
    if (typeof r.body === 'function') {
      r.body(req, () => answered || req.destroyed).then(
        () => {
          if (!req.destroyed) req.end();
        },
        (e: unknown) => req.destroy(e as Error),
      );
    } else {
      req.end(r.body);
    }
  });
}

/** A body writer: `total` bytes in chunks of `chunk` (first byte '<'), honouring back-pressure, stopping once answered. */
export function streamBytes(
  total: number,
  chunkSize = 1 << 20,
): (req: ClientRequest, answered: () => boolean) => Promise<void> {
  return async (req, answered) => {
    const chunk = Buffer.alloc(chunkSize, 0x61);
    chunk[0] = 0x3c;
    for (let sent = 0; sent < total && !answered(); sent += chunkSize) {
      if (!req.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            req.off('drain', done);
            req.off('close', done);
            resolve();
          };
          req.once('drain', done);
          req.once('close', done);
        });
      }
    }
  };
}

/** Resident memory of a process in bytes (Linux /proc), or null where /proc is absent. */
export function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; `stop()` returns the highest sample. */
export function sampleRss(pid: number, everyMs = 10): { stop(): number } {
  let peak = rssOf(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid) ?? 0);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid) ?? 0);
    },
  };
}
