/**
 * The store's counts as functioneel beheer sees them: a viewer logs in through the login form and reads
 * `GET /api/beheer/overzicht` (totals per status). A restarted instance forgets its sessions, so a 401 logs in
 * again.
 */
import { hashPassword } from '../../src/security/passwords.ts';
import type { StatusCounts } from '../../src/store/types.ts';

const USER = 'chaos';
const PASSWORD = 'chaos-run-kijker-5Tq8Lw';

/** The `beheer:` section that gives the run its viewer. */
export async function beheerYaml(): Promise<string> {
  return `beheer:\n  users:\n    - { name: ${USER}, role: viewer, passwordHash: "${await hashPassword(PASSWORD)}" }\n`;
}

export class BeheerClient {
  private cookie: string | null = null;

  constructor(private readonly baseUrl: () => string) {}

  async totals(): Promise<StatusCounts> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.cookie) this.cookie = await this.login();
      const res = await fetch(`${this.baseUrl()}/api/beheer/overzicht`, {
        headers: { cookie: this.cookie },
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status === 401) {
        this.cookie = null;
        continue;
      }
      if (res.status !== 200) throw new Error(`GET /api/beheer/overzicht answered ${res.status}`);
      return ((await res.json()) as { totals: StatusCounts }).totals;
    }
    throw new Error('beheer login did not hold');
  }

  private async login(): Promise<string> {
    const url = this.baseUrl();
    const page = await fetch(`${url}/beheer/login`, { redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    const loginCookie = page.headers
      .getSetCookie()
      .find((c) => c.startsWith('schakel_login='))
      ?.split(';')[0];
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    if (!loginCookie || !token) throw new Error(`the beheer login page (${page.status}) gave no form token`);
    const res = await fetch(`${url}/beheer/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, name: USER, password: PASSWORD }),
      signal: AbortSignal.timeout(15_000),
    });
    const session = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('schakel_beheer='))
      ?.split(';')[0];
    if (res.status !== 303 || !session) throw new Error(`beheer login answered ${res.status}`);
    return session;
  }
}
