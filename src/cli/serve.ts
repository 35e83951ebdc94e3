import { demoServeRefusal } from '../config/demo-guard.ts';
import { configFileOf, ConfigError, loadConfig } from '../config/load.ts';
import { Gateway } from '../gateway.ts';

/** `schakel serve [--config FILE]`: runs the gateway until SIGINT/SIGTERM. */
export async function runServe(argv: string[]): Promise<number> {
  const i = argv.indexOf('--config');
  const path = i >= 0 ? argv[i + 1] : undefined;
  if (i >= 0 && !path) {
    process.stderr.write('usage: schakel serve [--config FILE]\n');
    return 2;
  }
  let gateway: Gateway;
  try {
    const options = path ? { path } : {};
    const config = loadConfig(options);
    const refusal = demoServeRefusal(configFileOf(options), config.server.host);
    if (refusal) {
      process.stderr.write(`schakel: ${refusal}\n`);
      return 2;
    }
    gateway = new Gateway({ config });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`schakel: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  await gateway.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      gateway.logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await gateway.stop();
  return 0;
}
