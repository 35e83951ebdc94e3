/** A logged-in beheer user as a plain HTTP client (session cookie and CSRF token), for tests without a browser. */
import { hashPassword } from '../../src/security/passwords.ts';

export interface BeheerClient {
  cookie: string;
  csrf: string;
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>;
}

/** The `beheer.users` YAML lines for these users (passwords hashed). */
export async function beheerUsersYaml(users: Record<string, { password: string; role: string }>): Promise<string> {
  const lines = await Promise.all(
    Object.entries(users).map(
      async ([name, u]) =>
        `    - { name: ${name}, role: ${u.role}, passwordHash: "${await hashPassword(u.password)}" }`,
    ),
  );
  return `beheer:\n  users:\n${lines.join('\n')}\n`;
}

/** Logs in through the login form (its CSRF token and cookie) and reads the session's CSRF token. */
export async function loginBeheer(baseUrl: string, name: string, password: string): Promise<BeheerClient> {
  const page = await fetch(`${baseUrl}/beheer/login`);
  if (page.status !== 200) throw new Error(`login page answered ${page.status}`);
  const formCookie = page.headers
    .getSetCookie()
    .find((c) => c.startsWith('schakel_login='))!
    .split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(`${baseUrl}/beheer/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, name, password }),
  });
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('schakel_beheer='))!
    .split(';')[0]!;
  const call: BeheerClient['call'] = async (method, p, body, headers = {}) => {
    const r = await fetch(baseUrl + p, {
      method,
      redirect: 'manual',
      headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    const json = (r.headers.get('content-type') ?? '').includes('json');
    return { status: r.status, text, headers: r.headers, body: json ? JSON.parse(text) : text };
  };
  const session = await call('GET', '/api/beheer/session');
  if (session.status !== 200) throw new Error(`session answered ${session.status}`);
  return { cookie, csrf: session.body.csrfToken as string, call };
}
