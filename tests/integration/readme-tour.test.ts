/**
 * The README's tour and `validate` examples, run as a newcomer runs them: on a `git clone` of this repository's
 * HEAD in a temporary folder with NO ../shared beside it (node_modules linked in, as `npm ci` would make it).
 * The commands are read from the README's ```sh blocks of those sections, so the test fails when the README
 * drifts. The gateway and the receiver get free ports (8080/8081 in the text are replaced).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/reference.ts';

/** The ```sh blocks of the README section whose heading starts with `title`. */
export function shellBlocks(readme: string, title: string): string[] {
  const start = readme.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`README has no section "${title}"`);
  const end = readme.indexOf('\n## ', start + 3);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script with bash in its own process group; the group is killed when it ends or times out. */
function bash(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(killGroup, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // Background jobs the script left behind (it should have stopped them itself).
      setTimeout(() => {
        killGroup();
        resolve({ code, stdout, stderr });
      }, 200);
    });
  });
}

/** Every top-level JSON object in a text where curl printed them without newlines between them. */
function jsonObjects(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = text.indexOf('{"'); i >= 0; i = text.indexOf('{"', i + 1)) {
    let depth = 0;
    let inString = false;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        try {
          out.push(JSON.parse(text.slice(i, j + 1)) as Record<string, unknown>);
          i = j;
        } catch {
          // not JSON after all
        }
        break;
      }
    }
  }
  return out;
}

const MISSING = /No such file or directory|ENOENT|command not found|shared\/reference|cannot read file/;

describe('the README on a fresh clone without ../shared', () => {
  let parent = '';
  let clone = '';
  let env: NodeJS.ProcessEnv;
  let gatewayPort = 0;
  let receiverPort = 0;
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const ports = (text: string) =>
    text.replaceAll('127.0.0.1:8080', `127.0.0.1:${gatewayPort}`).replaceAll('--port 8081', `--port ${receiverPort}`);

  beforeAll(async () => {
    parent = mkdtempSync(path.join(os.tmpdir(), 'schakel-clone-'));
    clone = path.join(parent, 'schakel');
    execFileSync('git', ['clone', '--quiet', projectRoot, clone]);
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(clone, 'node_modules'));
    [gatewayPort, receiverPort] = [await freePort(), await freePort()];
    // The embedded default delivers to the receiver of step 1: on its free port here.
    const config = path.join(clone, 'config', 'default.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replaceAll('127.0.0.1:8081', `127.0.0.1:${receiverPort}`));
    env = { ...process.env, PORT: String(gatewayPort), CI: '', npm_config_yes: 'true' };
    delete env.SCHAKEL_CONFIG;
    delete env.SCHAKEL_DATA_DIR;
  }, 120_000);

  afterAll(() => {
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it('has nothing beside the clone', () => {
    expect(existsSync(path.join(parent, 'shared'))).toBe(false);
    expect(readdirSync(parent)).toEqual(['schakel']);
    expect(existsSync(path.join(clone, 'examples', 'WMO301.xml'))).toBe(true);
  });

  it('the validate examples work and say what the README says', async () => {
    const blocks = shellBlocks(readme, 'Validate berichten');
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const run = await bash(blocks.join('\n'), clone, env, 240_000);
    expect(run.stderr).not.toMatch(MISSING);
    const out = run.stdout;
    expect(out).toMatch(/^examples\/JW315\.xml: iJw 3\.2 JW315: valid$/m);
    const jsonLines = out.split('\n').filter((l) => l.startsWith('{"file":"examples/'));
    const shipped = readdirSync(path.join(clone, 'examples')).filter((f) => f.endsWith('.xml'));
    expect(jsonLines).toHaveLength(shipped.length);
    for (const line of jsonLines) expect(JSON.parse(line), line.slice(0, 120)).toMatchObject({ valid: true });
    expect(out).toMatch(/examples\/invalid\/WMO301-TR134\.xml: iWmo 3\.2 WMO301: INVALID \(technical rules\)/);
    expect(out).toMatch(/\[rule\] TR134 → retourcode 0001 at line \d+, column \d+/);
    expect(out).toMatch(/retourbericht:\n<\?xml[\s\S]*<wmo302:RetourCode>0001<\/wmo302:RetourCode>/);
    expect(out).toMatch(/jw301-fout\.xml: iJw 3\.2 JW301: INVALID \(technical rules\)\n {2}\[rule\] CS002/);
    // The example commands print berichten.
    expect(out).toMatch(/^WMO301\tXSD_INVALID CS002/m);
    expect(out).toMatch(/<wmo301:Afzender>0384<\/wmo301:Afzender>/);
    expect(out).toMatch(/envelopHeenbericht-ggk_Di01/);
    expect(out).toMatch(/<wmo302:Bericht /);
  }, 300_000);

  it('the five-minute tour works on free ports: receipt, delivery, answer, repeat, 422 with the retour', async () => {
    const blocks = shellBlocks(readme, 'Five minutes with curl');
    expect(blocks).toHaveLength(1);
    const script = ports(blocks[0]!);
    expect(script).not.toMatch(/8080|8081/);
    const run = await bash(script, clone, env, 240_000);
    expect(run.stderr).not.toMatch(MISSING);
    const out = run.stdout;
    // 1. the receiver, 3. the receipt
    expect(out).toMatch(new RegExp(`demo receiver listening on http://127\\.0\\.0\\.1:${receiverPort}`));
    const receipt = JSON.parse(readFileSync(path.join(clone, 'receipt.json'), 'utf8')) as {
      id: string;
      message: string;
      status: string;
    };
    expect(receipt).toMatchObject({ message: 'WMO301', status: 'queued' });
    // 4./5. delivered to the receiver, answered by the WMO302
    expect(out).toMatch(new RegExp(`POST /berichten message=WMO301 id=${receipt.id}`));
    const objects = jsonObjects(out);
    const last = objects.filter((o) => o.id === receipt.id && o.answer).at(-1) as
      | { status: string; answer: { id: string } }
      | undefined;
    expect(last, out).toBeDefined();
    expect(last!.status).toBe('delivered');
    expect(out).toMatch(/POST \/\S+ message=WMO302 /);
    // 6. the repeat: the first receipt again
    expect(
      objects.some((o) => o.id === receipt.id && o.repeat === true),
      out,
    ).toBe(true);
    // 7. the 422 with TR135 and the retour
    const refused = objects.find((o) => (o.error as { code?: string } | undefined)?.code === 'RULES_FAILED');
    expect(refused, out).toBeDefined();
    expect(JSON.stringify(refused!.findings)).toMatch(/"code":"TR135"/);
    expect(String(refused!.retour)).toMatch(/RetourCode>8848</);
  }, 300_000);
});
