import { randomUUID } from 'node:crypto';

/**
 * A new message id: a random UUID version 4, in lower case. It has to be one: the id is also the referentienummer
 * of the GGK envelope a message travels in (adapters/ggk/referentienummer.ts), which the standard requires to be
 * a UUID v4 (§4.6; GGK IB009), and a StUF answer (Fo01, Bv01) finds its heenbericht by that referentienummer as
 * crossRefnummer. Time-ordered ids (UUID v7) keep the indexes on a message id growing at their right edge and
 * measured cheaper (docs/benchmarks.md), but with them the GGK referentienummer became a hash of the id and
 * those answers no longer found their heenbericht; a v7 id would need a reversible map to a v4 first.
 */
export function newMessageId(): string {
  return randomUUID();
}
