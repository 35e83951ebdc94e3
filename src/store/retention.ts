import { STANDARDS, type RetentionConfig } from '../config/schema.ts';
import type { RetentionAges } from './types.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** The configured retention as maximum ages in milliseconds, for `purgeBodies` and `purgeMetadata`. */
export function retentionAges(config: RetentionConfig): { body: RetentionAges; metadata: RetentionAges } {
  const body: RetentionAges = { default: config.bodyDays * DAY, perStandard: {} };
  const metadata: RetentionAges = { default: config.metadataDays * DAY, perStandard: {} };
  for (const standard of STANDARDS) {
    const o = config.perStandard[standard];
    if (!o) continue;
    if (o.bodyHours !== undefined) body.perStandard[standard] = o.bodyHours * HOUR;
    if (o.bodyDays !== undefined) body.perStandard[standard] = o.bodyDays * DAY;
    if (o.metadataDays !== undefined) metadata.perStandard[standard] = o.metadataDays * DAY;
  }
  return { body, metadata };
}
