/**
 * `npm run bench:validate`: µs per document for the project's XSD engine (libxml2-wasm, compiled schema
 * reused) and for the full verdict the gateway gives every bericht (parse, recognise, XSD, technical rules),
 * against native xmllint (libxml2-utils) on the same schema and document, in the same run.
 * xmllint validates the file N times in one process; its start-up and schema compile are measured with N=1
 * and subtracted. Rounds alternate between the three; each takes its best round, in wall time and in CPU time
 * (this process's, or xmllint's as bash's `time` reports it). On a shared machine the CPU figures and the
 * ratios are the ones to read: other processes stretch wall time, not the CPU a document costs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catalogue } from '../src/catalogue/catalogue.ts';
import { BerichtValidator } from '../src/validation/validator.ts';
import { SchemaPacks } from '../src/xml/packs.ts';
import { parseXml } from '../src/xml/parse.ts';
import { XsdEngine } from '../src/xml/xsd.ts';
import { type Round, xmllintAvailable, xmllintRound } from './xmllint-reference.ts';

const N = Number(process.env.BENCH_N ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const example = path.resolve(import.meta.dirname, '../../shared/reference/istandaarden-3.2/wmo/WMO301.xml');
if (!fs.existsSync(example)) {
  console.error(`bench:validate needs the official WMO301 example at ${example}; it is absent, nothing measured.`);
  process.exit(2);
}
const source = fs.readFileSync(example);
const entry = catalogue.byName('WMO301')!;
const packs = SchemaPacks.load();
const schemaOf301 = packs.validator(entry.schema);
const engine = new XsdEngine();

function timed(run: () => void): Round {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  run();
  const used = process.cpuUsage(c);
  return { wall: Number(process.hrtime.bigint() - t) / 1000 / N, cpu: (used.user + used.system) / N };
}

function engineRound(): Round {
  return timed(() => {
    for (let i = 0; i < N; i++) {
      const doc = parseXml(source);
      if (engine.validate(schemaOf301, doc).length) throw new Error('WMO301 example judged invalid');
      doc.dispose();
    }
  });
}

const validator = new BerichtValidator(packs, { today: () => new Date('2026-11-01') });
function verdictRound(): Round {
  return timed(() => {
    for (let i = 0; i < N; i++) if (!validator.validate(source).valid) throw new Error('WMO301 example judged invalid');
  });
}

if (!xmllintAvailable()) {
  console.error('bench:validate needs native xmllint (Debian package libxml2-utils); not found, nothing measured.');
  process.exit(2);
}

engineRound(); // warm-up: JIT and wasm tiers
verdictRound();
// Rounds alternate between the three so that all see the same machine; each keeps its best round.
const rounds: Record<'engine' | 'native' | 'verdict', Round>[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const engine = engineRound();
  const native = await xmllintRound(example, N);
  rounds.push({ engine, native, verdict: verdictRound() });
}
const best = (side: 'engine' | 'native' | 'verdict', of: keyof Round): number =>
  Math.min(...rounds.map((r) => r[side][of]));

const num = (x: number): string => x.toFixed(1).padStart(10);
const row = (name: string, side: 'engine' | 'native' | 'verdict'): string =>
  `${name.padEnd(44)} ${num(best(side, 'wall'))} ${num(best(side, 'cpu'))}`;
const ratio = (side: 'engine' | 'verdict', of: keyof Round): string => (best(side, of) / best('native', of)).toFixed(2);
console.log(
  `WMO301 example (${source.byteLength} bytes), N=${N}, best of ${ROUNDS} rounds, ${os.cpus().length} cores, ` +
    `load average ${os.loadavg()[0]!.toFixed(1)}`,
);
console.log(`${''.padEnd(44)} ${'wall µs/doc'.padStart(10)} ${'CPU µs/doc'.padStart(10)}`);
console.log(row('native xmllint (parse + XSD)', 'native'));
console.log(row('schakel engine, libxml2-wasm (parse + XSD)', 'engine'));
console.log(row('schakel full verdict (+ recognise + rules)', 'verdict'));
console.log(
  `ratio engine / xmllint:        ${ratio('engine', 'cpu')} CPU, ${ratio('engine', 'wall')} wall (goal ≤ 1.20)`,
);
console.log(
  `ratio full verdict / xmllint:  ${ratio('verdict', 'cpu')} CPU, ${ratio('verdict', 'wall')} wall (goal ≤ 1.50)`,
);
console.log(`CPU per message, full verdict: ${best('verdict', 'cpu').toFixed(1)} µs`);
