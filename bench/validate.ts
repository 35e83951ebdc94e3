/**
 * `npm run bench:validate`: µs per document for the project's XSD engine (libxml2-wasm, compiled schema
 * reused) against native xmllint (libxml2-utils) on the same schema and document, in the same run.
 * xmllint validates the file N times in one process; its start-up and schema compile are measured with N=1
 * and subtracted. Rounds alternate between the engines; each side takes its best round.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catalogue } from '../src/catalogue/catalogue.ts';
import { BerichtValidator } from '../src/validation/validator.ts';
import { DEFAULT_SCHEMAS_DIR, SchemaPacks } from '../src/xml/packs.ts';
import { parseXml } from '../src/xml/parse.ts';
import { XsdEngine } from '../src/xml/xsd.ts';

const N = Number(process.env.BENCH_N ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const example = path.resolve(import.meta.dirname, '../../shared/reference/istandaarden-3.2/wmo/WMO301.xml');
if (!fs.existsSync(example)) {
  console.error(`bench:validate needs the official WMO301 example at ${example}; it is absent, nothing measured.`);
  process.exit(2);
}
const schema = path.join(DEFAULT_SCHEMAS_DIR, 'iwmo/3.2/WMO301.xsd');
const source = fs.readFileSync(example);
const entry = catalogue.byName('WMO301')!;
const packs = SchemaPacks.load();
const schemaOf301 = packs.validator(entry.schema);
const engine = new XsdEngine();

function engineRound(): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const doc = parseXml(source);
    if (engine.validate(schemaOf301, doc).length) throw new Error('WMO301 example judged invalid');
    doc.dispose();
  }
  return Number(process.hrtime.bigint() - t) / 1000 / N;
}

const validator = new BerichtValidator(packs, { today: () => new Date('2026-11-01') });
function pipelineRound(): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) if (!validator.validate(source).valid) throw new Error('WMO301 example judged invalid');
  return Number(process.hrtime.bigint() - t) / 1000 / N;
}

function xmllintSeconds(count: number): number {
  const args = ['--noout', '--nonet', '--schema', schema, ...Array<string>(count).fill(example)];
  const t = process.hrtime.bigint();
  execFileSync('xmllint', args, { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 26 });
  return Number(process.hrtime.bigint() - t) / 1e9;
}
function xmllintRound(): number {
  const base = xmllintSeconds(1);
  return ((xmllintSeconds(N) - base) * 1e6) / (N - 1);
}

try {
  execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('bench:validate needs native xmllint (Debian package libxml2-utils); not found, nothing measured.');
  process.exit(2);
}

engineRound(); // warm-up: JIT and wasm tiers
pipelineRound();
// Rounds alternate between the two engines so that both see the same machine; each keeps its best round.
const rounds = Array.from({ length: ROUNDS }, () => ({
  engine: engineRound(),
  native: xmllintRound(),
  pipeline: pipelineRound(),
}));
const engineUs = Math.min(...rounds.map((r) => r.engine));
const native = Math.min(...rounds.map((r) => r.native));
const pipeline = Math.min(...rounds.map((r) => r.pipeline));

const row = (name: string, us: number): string => `${name.padEnd(44)} ${us.toFixed(1).padStart(8)} µs/doc`;
console.log(`WMO301 example (${source.byteLength} bytes), N=${N}, best of ${ROUNDS} rounds, ${os.cpus().length} cores`);
console.log(row('native xmllint (parse + XSD)', native));
console.log(row('schakel engine, libxml2-wasm (parse + XSD)', engineUs));
console.log(row('schakel full verdict (+ recognise + rules)', pipeline));
console.log(`ratio engine / xmllint: ${(engineUs / native).toFixed(2)} (goal ≤ 1.20)`);
console.log(`ratio full verdict / xmllint: ${(pipeline / native).toFixed(2)}`);
