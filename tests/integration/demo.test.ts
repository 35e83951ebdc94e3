/**
 * `schakel demo` (npm run demo) as a person runs it: one process with the gateway, the demo parties and a
 * handful of berichten. It must show delivered, answered, failed and dead berichten and a conversation, answer
 * the status API like any gateway, and stop cleanly on SIGINT (exit 0, its data folder gone).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_KEYS } from '../../src/examples/demo-parties.ts';
import { projectRoot } from '../helpers/reference.ts';

describe('schakel demo', () => {
  it('runs the conversations, shows every outcome and stops cleanly on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [path.join(projectRoot, 'bin/schakel.mjs'), 'demo', '--port', '0', '--parties-port', '0'],
      {
        cwd: projectRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 120_000, interval: 250 }).toMatch(/\[demo\] ready\./);
      const url = /gateway on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const dataDir = /data in (\S+),/.exec(out)![1]!;
      expect(existsSync(dataDir)).toBe(true);

      expect(out).toMatch(/\[demo\] WMO301 +delivered, answered by /);
      expect(out).toMatch(/\[demo\] JW301 +delivered, answered by /);
      expect(out).toMatch(/\[demo\] JW319 +failed/);
      expect(out).toMatch(/\[demo\] WMO405 +dead/);
      // The conversation in the other direction, and rule failures answered by the gateway.
      expect(out).toMatch(/demo-zorg sends WMO305 \(start levering\): 202/);
      expect(out).toMatch(/gemeente 0363 sends WMO306: 202/);
      expect(out).toMatch(/demo-zorg sends WMO307 breaking TR018: 422 RULES_FAILED \(TR018\)/);
      expect(out).toMatch(/wijkteam sends WMO301 breaking TR135: 422 RULES_FAILED \(TR135\)/);
      // Never a BSN in what the demo prints.
      expect(out).not.toMatch(/\b\d{9}\b/);

      // The gateway answers its status API: the toewijzing shows its answer.
      const id = /wijkteam sends WMO301: 202 queued id=([0-9a-f-]+)/.exec(out)![1]!;
      const res = await fetch(`${url}/berichten/${id}`, { headers: { authorization: `Bearer ${DEMO_KEYS.wijkteam}` } });
      expect(res.status).toBe(200);
      const status = (await res.json()) as { status: string; answer?: { id: string } };
      expect(status.status).toBe('delivered');
      expect(status.answer?.id).toMatch(/^[0-9a-f-]{36}$/);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toMatch(/SIGINT: stopping/);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
