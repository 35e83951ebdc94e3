/** The gateway as a real child process (`node bin/schakel.mjs serve --config …`), for crash tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from './env.ts';

export interface ChildGateway {
  child: ChildProcess;
  url: string;
  /** Every stdout line (the gateway's JSON log) and stderr line, for diagnostics. */
  output: string[];
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `schakel serve --config <configPath>` and resolves once its log says it listens (the port comes from
 * that line, so `server.port: 0` works). Rejects when the process exits first or `timeoutMs` passes.
 */
export async function spawnGateway(configPath: string, timeoutMs = 30_000): Promise<ChildGateway> {
  const env = { ...process.env };
  for (const k of ['PORT', 'SCHAKEL_CONFIG', 'SCHAKEL_DATA_DIR']) delete env[k];
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin/schakel.mjs'), 'serve', '--config', configPath], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(`[stderr] ${l}`));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      output.push(l);
      if (!l.includes('schakel gateway listening')) return;
      try {
        const p = (JSON.parse(l) as { port?: number }).port;
        if (p) {
          clearTimeout(timer);
          resolve(p);
        }
      } catch {
        // not a JSON log line
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${output.slice(-20).join('\n')}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, output, exited };
}
