import { generateApiKey, hashApiKey } from '../security/api-keys.ts';
import type { CommandSpec } from './command.ts';

/**
 * `schakel new-api-key`: a new random API key for an internal system (callers[]) or an external party
 * (inbound[]). The key is printed once, here, to hand over; the configuration keeps only its hash.
 */
export const command: CommandSpec = {
  usage: '[--json]',
  options: { json: { type: 'boolean', help: 'print {"key", "hash"} as one JSON object' } },
  details: `Put the hash in callers[].apiKeys or inbound[].apiKeys; hand the key to the system that will use it
(Authorization: Bearer <key>, or X-API-Key: <key>). Schakel stores no key: a lost key is replaced, not recovered.`,
  async run(args, io) {
    const key = generateApiKey();
    const hash = hashApiKey(key);
    if (args.values.json) io.out.write(`${JSON.stringify({ key, hash })}\n`);
    else io.out.write(`key:  ${key}\nhash: ${hash}\n`);
    return 0;
  },
};
