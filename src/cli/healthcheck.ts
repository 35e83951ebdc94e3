import http from 'node:http';
import https from 'node:https';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { secureOptionsOf, TlsProfiles } from '../security/tls-profiles.ts';
import { CONFIG_OPTION, type CommandSpec, configFileOf, OperatorError } from './command.ts';

const TIMEOUT_MS = 3000;

/**
 * `schakel healthcheck [CONFIG]`: asks the gateway on this host for /healthz (or /readyz with --ready) with the
 * scheme its configuration serves: http, or https with server.tls (our own certificate is presented as the
 * client certificate, so a gateway that requires one still answers). For the container HEALTHCHECK and
 * Kubernetes exec probes. Exit 0 healthy, 1 not.
 */
export const command: CommandSpec = {
  usage: '[CONFIG] [--config CONFIG] [--ready]',
  options: {
    ...CONFIG_OPTION,
    ready: { type: 'boolean', help: 'ask /readyz (store answers, transport running) instead of /healthz' },
  },
  positionals: { max: 1 },
  details: `Reads the same configuration and environment (PORT, SCHAKEL_HOST, SCHAKEL_CONFIG) as serve. With
server.tls.clientCertificates: required, the profile's certificate must also allow client authentication
(extendedKeyUsage clientAuth, as PKIoverheid server certificates do). Exit 0 healthy, 1 not.`,
  async run(args, io) {
    const file = configFileOf(args);
    const config = loadConfig(file ? { path: file } : {});
    const path = args.values.ready ? '/readyz' : '/healthz';
    const { host: configured, port } = config.server;
    // A wildcard address is asked on loopback.
    const host = configured === '0.0.0.0' || configured === '' ? '127.0.0.1' : configured === '::' ? '::1' : configured;
    let client: { cert: string; key: string } | undefined;
    if (config.server.tls) {
      const profiles = new TlsProfiles({
        tls: config.tls,
        destinations: [],
        serverProfile: config.server.tls.profile,
        logger: createLogger({ level: 'silent' }),
      });
      const use = profiles.use(config.server.tls.profile);
      if (use.kind === 'usable') {
        const { cert, key } = secureOptionsOf(use.profile);
        client = { cert, key };
      }
    }
    const status = await probe(config.server.tls ? 'https' : 'http', host, port, path, client);
    io.out.write(
      `${config.server.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}${path}: ${status}\n`,
    );
    if (status !== 200) throw new OperatorError(`${path} answered ${status}`);
    return 0;
  },
};

function probe(
  scheme: 'http' | 'https',
  host: string,
  port: number,
  path: string,
  client?: { cert: string; key: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = { host, port, path, method: 'GET', timeout: TIMEOUT_MS };
    const req =
      scheme === 'https'
        ? // The gateway's own certificate is issued for its public name, not for loopback: not checked here.
          https.request({ ...options, rejectUnauthorized: false, ...(client ?? {}) })
        : http.request(options);
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (e) =>
      reject(
        new OperatorError(`${scheme}://${host}:${port}${path}: ${(e as NodeJS.ErrnoException).code ?? e.message}`),
      ),
    );
    req.end();
  });
}
