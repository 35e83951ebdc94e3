/** Shared by the hardening tests: a gateway with extra server settings and beheer users, and a beheer login. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { hashPassword } from '../../src/security/passwords.ts';
import { testConfigYaml } from '../helpers/gateway.ts';

export interface BeheerUser {
  name: string;
  password: string;
  role: 'viewer' | 'beheerder';
}

export interface RunningGateway {
  url: string;
  gateway: Gateway;
  /** Every log line (JSON text). */
  logs: string[];
  /** Stops the gateway and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * A gateway on a fresh data folder: the test configuration, these lines under `server:` (indented YAML), these
 * beheer users, every destination at `destinationUrl`, and more callers (YAML flow mappings).
 */
export async function startGatewayWith(o: {
  serverYaml?: string;
  users: BeheerUser[];
  destinationUrl: string;
  extraCallers?: string[];
}): Promise<RunningGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'schakel-hardening-'));
  const users = await Promise.all(
    o.users.map(
      async (u) => `    - { name: ${u.name}, role: ${u.role}, passwordHash: "${await hashPassword(u.password)}" }`,
    ),
  );
  const to = o.destinationUrl;
  const yaml = testConfigYaml({
    dataDir,
    destinations: { zorg: to, jeugd: to, gemeenteRetour: to, gemeenteInbox: to },
    ...(o.extraCallers ? { extraCallers: o.extraCallers } : {}),
    extraYaml: `beheer:\n  users:\n${users.join('\n')}\n`,
  }).replace('requestTimeoutMs: 30000', `requestTimeoutMs: 30000\n${o.serverYaml ?? ''}`);
  const logs: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logs.push(line) } });
  const gateway = new Gateway({ config: parseConfig(yaml, join(dataDir, 'test.yaml'), { env: {} }), logger });
  await gateway.start();
  return {
    url: `http://127.0.0.1:${gateway.port}`,
    gateway,
    logs,
    async stop() {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Logs in to beheer: the session cookie and the CSRF token for state-changing calls. */
export async function beheerSession(
  url: string,
  user: { name: string; password: string },
): Promise<{ cookie: string; csrf: string }> {
  const page = await fetch(`${url}/beheer/login`);
  const loginCookie = page.headers
    .getSetCookie()
    .find((c) => c.startsWith('schakel_login='))!
    .split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(`${url}/beheer/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, name: user.name, password: user.password }),
  });
  expect(res.status).toBe(303);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('schakel_beheer='))!
    .split(';')[0]!;
  const session = (await (await fetch(`${url}/api/beheer/session`, { headers: { cookie } })).json()) as {
    csrfToken: string;
  };
  return { cookie, csrf: session.csrfToken };
}
