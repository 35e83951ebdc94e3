import { catalogue } from '../catalogue/catalogue.ts';
import type { HeaderFacts } from '../catalogue/header.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { findRoute } from '../config/routes.ts';
import type { RouteConfig } from '../config/schema.ts';
import type { Verdict } from '../validation/verdict.ts';
import { routeKey } from './identity.ts';

/**
 * What the pipeline makes of a judged bericht before it stores anything: the catalogue entry, the message that
 * is routed (for a GGK envelope the bericht inside it), its header facts and the first route that matches. Pure:
 * accept() acts on it, and beheer's "test a bericht" shows it without storing or sending.
 */
export interface Plan {
  /** The recognised message (the envelope itself for a GGK envelope); undefined when not recognised. */
  entry: CatalogueEntry | undefined;
  /** The message that is routed and stored: the payload of an envelope, else the message itself. */
  payloadEntry: CatalogueEntry | undefined;
  /** The verdict whose header and direction count: the payload's for an envelope. */
  effective: Verdict;
  header: HeaderFacts;
  /** The first matching route; undefined when none matches (or the bericht is not recognised). */
  route: RouteConfig | undefined;
}

export function planOf(verdict: Verdict, routes: readonly RouteConfig[]): Plan {
  const entry = verdict.message ? catalogue.byName(verdict.message) : undefined;
  const effective = verdict.payload ?? verdict;
  const payloadEntry = effective.message ? (catalogue.byName(effective.message) ?? entry) : entry;
  const header = effective.header;
  const route = payloadEntry ? findRoute(routes, routeKey(payloadEntry, header)) : undefined;
  return { entry, payloadEntry, effective, header, route };
}
