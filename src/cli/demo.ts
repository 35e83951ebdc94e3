import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../config/load.ts';
import { DEMO_KEYS, type DemoParties, outcomeOf, postBericht, startDemoParties } from '../examples/demo-parties.ts';
import { makeExample } from '../examples/examples.ts';
import { Gateway } from '../gateway.ts';
import type { MessageStatus } from '../store/types.ts';
import { BerichtValidator } from '../validation/validator.ts';
import { SchemaPacks } from '../xml/packs.ts';
import { argvOf, type CommandSpec } from './command.ts';

const USAGE = 'usage: schakel demo [--port 8080] [--parties-port 8081] [--regio]\n';
const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));
/** Issue #15: three gemeenten on one gateway, users with grants per gemeente and flow. */
const REGIO_CONFIG = fileURLToPath(new URL('../../config/regio.yaml', import.meta.url));

/** What the demo posts as the gemeente's wijkteam (Afzender 0363), and what each one shows in beheer. */
const SCENARIO: readonly { name: string; invalid?: string; afzender?: string; shows: string }[] = [
  {
    name: 'WMO301',
    shows:
      'delivered to Demo Zorg, answered with a WMO302; Demo Zorg then starts (WMO305 → WMO306) and sends a WMO307 that breaks TR018',
  },
  { name: 'JW301', shows: 'delivered to Demo Jeugdhulp and answered with a JW302' },
  { name: 'JW319', shows: 'Demo Jeugdhulp refuses it (400): failed' },
  { name: 'WMO405', shows: 'the CAK is down (503): retried, then dead' },
  {
    name: 'WMO301',
    invalid: 'TR135',
    shows: 'refused by the gateway (422, TR135) with the retour WMO302 8848 in the answer',
  },
];

/** `--regio` (config/regio.yaml): the same flows from three gemeenten, plus pgb to the SVB and a VTO. */
const REGIO_SCENARIO: readonly { name: string; invalid?: string; afzender?: string; shows: string }[] = [
  { name: 'WMO301', afzender: '0363', shows: 'gemeente 0363, Wmo: delivered to Demo Zorg and answered' },
  { name: 'WMO301', afzender: '0384', shows: 'gemeente 0384, Wmo: delivered to Demo Zorg and answered' },
  { name: 'JW301', afzender: '0437', shows: 'gemeente 0437, Jeugd: delivered to Demo Jeugdhulp and answered' },
  { name: 'WMO405', afzender: '0384', shows: 'gemeente 0384, eigen bijdrage: the CAK is down, dead' },
  { name: 'WMO501', afzender: '0437', shows: 'gemeente 0437, pgb: delivered to the SVB' },
  { name: 'vtoDi01', afzender: '0363', shows: 'gemeente 0363, jeugdbescherming: delivered to the justice hub' },
];

/**
 * `schakel demo`: the gateway on config/demo.yaml with a fresh data folder, the demo parties (src/examples/
 * demo-parties.ts) and a handful of berichten of several flows, so that /beheer shows delivered, answered,
 * failed and dead berichten and conversations. Runs until SIGINT/SIGTERM, then closes everything and exits 0.
 */
export async function runDemo(argv: string[]): Promise<number> {
  let values: { port?: string; 'parties-port'?: string; regio?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, 'parties-port': { type: 'string' }, regio: { type: 'boolean' } },
    }));
  } catch (e) {
    process.stderr.write(`schakel demo: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const port = Number(values.port ?? 8080);
  const partiesPort = Number(values['parties-port'] ?? 8081);
  if (![port, partiesPort].every((p) => Number.isInteger(p) && p >= 0 && p <= 65535)) {
    process.stderr.write(`schakel demo: ports are 0–65535\n${USAGE}`);
    return 2;
  }
  const log = (line: string) => process.stdout.write(`[demo] ${line}\n`);
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'schakel-demo-'));
  const validator = new BerichtValidator(SchemaPacks.load());
  let parties: DemoParties | undefined;
  let gateway: Gateway | undefined;
  try {
    parties = await startDemoParties({ port: partiesPort, validator, log });
    const file = values.regio ? REGIO_CONFIG : DEMO_CONFIG;
    const text = readFileSync(file, 'utf8').replaceAll('127.0.0.1:8081', `127.0.0.1:${parties.port}`);
    const config = parseConfig(text, file, {
      env: { ...process.env, PORT: String(port), SCHAKEL_DATA_DIR: dataDir },
    });
    gateway = new Gateway({ config });
    await gateway.start();
    const url = `http://127.0.0.1:${gateway.port}`;
    parties.gatewayUrl = url;
    log(`gateway on ${url} (data in ${dataDir}, removed at the end); demo parties on http://127.0.0.1:${parties.port}`);

    const posted: { label: string; id: string }[] = [];
    for (const step of values.regio ? REGIO_SCENARIO : SCENARIO) {
      const xml = makeExample(step.name, {
        afzender: step.afzender ?? '0363',
        ...(step.invalid ? { invalid: step.invalid } : {}),
      });
      const r = await postBericht(`${url}/berichten`, DEMO_KEYS.wijkteam, xml);
      const label = `${step.name}${step.invalid ? ` breaking ${step.invalid}` : ''}`;
      log(`wijkteam sends ${label}: ${outcomeOf(r)} — ${step.shows}`);
      if (typeof r.body.id === 'string') posted.push({ label, id: r.body.id });
    }
    await settle(
      gateway,
      posted.map((p) => p.id),
      stopSignal,
    );
    await parties.settled();
    for (const p of posted) {
      const m = await gateway.store.getMessage(p.id);
      log(
        `${p.label.padEnd(20)} ${m?.status ?? '?'}${m?.answeredBy ? `, answered by ${m.answeredBy}` : ''}${m?.answerSummary ? ` (${m.answerSummary})` : ''}`,
      );
    }
    log(
      values.regio
        ? `ready. Open ${url}/beheer — regio-beheer / schakel-regio-beheer-Qx4Lm8 sees all; bvo-declaraties, beheer-0363, beheer-0437 and jb-kijker see their grants (config/regio.yaml). Ctrl-C stops.`
        : `ready. Open ${url}/beheer — beheerder / schakel-demo-beheerder-Vb7Kq2 (Overzicht, Zoeken, Bericht testen). Ctrl-C stops.`,
    );
    const signal = await stopSignal;
    log(`${signal}: stopping`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`schakel demo: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    await parties?.close();
    await gateway?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const SETTLED: ReadonlySet<MessageStatus> = new Set(['delivered', 'failed', 'dead', 'cancelled']);

/** Waits until every posted bericht reached a final status (or a stop signal came first). */
async function settle(gateway: Gateway, ids: readonly string[], stop: Promise<string>): Promise<void> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  while (!stopped) {
    const statuses = await Promise.all(ids.map(async (id) => (await gateway.store.getMessage(id))?.status));
    if (statuses.every((s) => s !== undefined && SETTLED.has(s))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `schakel demo` in the command table (src/cli/commands.ts). */
export const command: CommandSpec = {
  usage: '[--port 8080] [--parties-port 8081] [--regio]',
  options: {
    port: { type: 'string', value: 'PORT', help: "the gateway's port (default 8080)" },
    'parties-port': { type: 'string', value: 'PORT', help: "the demo parties' port (default 8081)" },
    regio: { type: 'boolean', help: 'three gemeenten on one gateway, users with grants (config/regio.yaml)' },
  },
  run: (args) => runDemo(argvOf(args)),
};
