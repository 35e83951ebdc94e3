/**
 * A beheer action is durable once the API said it was done: the gateway as a real process resends a message
 * through the beheer API and is SIGKILLed the moment the job reports the resend done. The store opened again
 * on the same dataDir still has the resend (status, history, audit and the new delivery).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { beheerUsersYaml, loginBeheer } from '../helpers/beheer-client.ts';
import { type ChildGateway, spawnGateway } from '../helpers/child-gateway.ts';
import { testConfigYaml } from '../helpers/gateway.ts';
import { startReceiver } from '../helpers/http-receiver.ts';
import { wmo301 } from '../helpers/messages.ts';
import { tempDir } from '../helpers/temp.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('crash after a beheer action', () => {
  it('keeps a resend the API reported done when the process is killed right after (SIGKILL)', async () => {
    // The destination refuses everything, so the resent message stays pending instead of being delivered away.
    const receiver = await startReceiver(() => ({ status: 503 }));
    cleanups.push(() => receiver.close());
    const dir = tempDir('schakel-crash-beheer-');
    cleanups.push(dir.remove);
    const dataDir = path.join(dir.path, 'data');
    const file = path.join(dataDir, 'schakel.sqlite');

    // A message the gateway received and did not deliver: beheer resends it (to its destination, zorg).
    const seeded = openSqliteStore({ file });
    const { id } = await seeded.insertMessage(wmo301({ status: 'received', destination: 'zorg' }), 'caller:wijkteam');
    await seeded.close();

    const configPath = path.join(dir.path, 'schakel.yaml');
    const to = `${receiver.url}/zorg`;
    writeFileSync(
      configPath,
      testConfigYaml({
        dataDir,
        destinations: { zorg: to, jeugd: to, gemeenteRetour: to, gemeenteInbox: to },
        maxAttempts: 50,
        extraYaml: await beheerUsersYaml({ anna: { password: 'anna-wachtwoord', role: 'beheerder' } }),
      }),
    );
    const gw: ChildGateway = await spawnGateway(configPath);
    cleanups.push(() => void gw.child.kill('SIGKILL'));

    const anna = await loginBeheer(gw.url, 'anna', 'anna-wachtwoord');
    const started = await anna.call(
      'POST',
      '/api/beheer/jobs',
      { action: 'resend', ids: [id] },
      { 'x-csrf-token': anna.csrf },
    );
    expect(started.status).toBe(202);
    // Poll the job; the first answer that reports the resend done is followed by the kill at once.
    let job: { state: string; results: { id: string; ok: boolean; status?: string; reason?: string }[] };
    for (;;) {
      job = (await anna.call('GET', started.body.statusUrl as string)).body;
      if (job.state === 'done') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    gw.child.kill('SIGKILL');
    expect((await gw.exited).signal).toBe('SIGKILL');
    expect(job.results).toEqual([{ id, ok: true, status: 'queued' }]);

    const store = openSqliteStore({ file });
    try {
      const m = (await store.getMessage(id))!;
      // Queued, or already taken by the transport before the kill: never back to received.
      expect(['queued', 'delivering']).toContain(m.status);
      expect(m.destination).toBe('zorg');
      expect(await store.statusHistory(id)).toContainEqual(
        expect.objectContaining({ from: 'received', to: 'queued', actor: 'beheer:anna', reason: 'resend' }),
      );
      const audit = await store.listAudit({ targetId: id, action: 'message.resend' });
      expect(audit.map((a) => [a.actor, a.details])).toEqual([['beheer:anna', { from: 'received', to: 'queued' }]]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
