import type { Standard } from '../catalogue/types.ts';
import { type RetentionConfig, STANDARDS } from '../config/schema.ts';
import type { RetentionAges } from './types.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

type Override = RetentionConfig['perStandard'][Standard];

/**
 * Retention that applies without configuration. StUF-Jeugdzorg (CORV, standards.md §7): content at most 24 hours
 * after confirmed delivery, traffic data (type, status, errors) at most 6 months. A configured override replaces
 * the body age and the metadata age separately.
 */
export const BUILT_IN_RETENTION: Readonly<Partial<Record<Standard, NonNullable<Override>>>> = {
  'stuf-jz': { bodyHours: 24, metadataDays: 183 },
};

/**
 * The configured retention as maximum ages in milliseconds, for `purgeBodies` and `purgeMetadata`. Ages count
 * from when a message settled, which for a delivered message is its confirmed delivery (see `RetentionAges`).
 */
export function retentionAges(config: RetentionConfig): { body: RetentionAges; metadata: RetentionAges } {
  const body: RetentionAges = { default: config.bodyDays * DAY, perStandard: {} };
  const metadata: RetentionAges = { default: config.metadataDays * DAY, perStandard: {} };
  for (const standard of STANDARDS) {
    const configured = config.perStandard[standard];
    const builtIn = BUILT_IN_RETENTION[standard];
    const bodyAge = bodyAgeOf(configured) ?? bodyAgeOf(builtIn);
    const metadataDays = configured?.metadataDays ?? builtIn?.metadataDays;
    if (bodyAge !== undefined) body.perStandard[standard] = bodyAge;
    if (metadataDays !== undefined) metadata.perStandard[standard] = metadataDays * DAY;
  }
  return { body, metadata };
}

function bodyAgeOf(o: Override): number | undefined {
  if (o?.bodyDays !== undefined) return o.bodyDays * DAY;
  if (o?.bodyHours !== undefined) return o.bodyHours * HOUR;
  return undefined;
}
