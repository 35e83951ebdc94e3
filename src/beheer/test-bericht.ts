/**
 * "Test a bericht" (beheerder): a pasted or uploaded bericht goes through the same validation and routing plan
 * as POST /berichten — the gateway's ValidationService and planOf() — and the answer shows the verdict, the
 * findings with line and column, the route it would take and the retour the standard prescribes. Nothing is
 * stored or sent. The audit log records who tested what kind of bericht and the outcome, never the body.
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Config } from '../config/schema.ts';
import { sendError } from '../http/errors.ts';
import { planOf } from '../pipeline/plan.ts';
import { redactBsn } from '../security/redact.ts';
import type { MessageStore } from '../store/types.ts';
import type { ValidationService } from '../validation/service.ts';
import type { Verdict } from '../validation/verdict.ts';
import { actorOf, principalOf } from './auth.ts';

export interface TestBerichtDeps {
  config: () => Config;
  store: MessageStore;
  validation: ValidationService;
}

/** The media types a bericht may be sent as (the page sends application/xml). */
const XML_TYPES = ['application/xml', 'text/xml', 'text/plain', 'application/soap+xml'];

function verdictView(v: Verdict): Record<string, unknown> {
  return {
    message: v.message,
    standard: v.standard,
    release: v.release,
    direction: v.direction,
    valid: v.valid,
    xsdValid: v.xsdValid,
    findings: v.findings.map((f) => ({ ...f, text: redactBsn(f.text) })),
    ...(v.payload ? { payload: verdictView(v.payload) } : {}),
  };
}

/** POST /api/beheer/test-bericht with the bericht as the body: the dry run's answer, 200 whatever the verdict. */
export function testBerichtHandlers(d: TestBerichtDeps): express.RequestHandler[] {
  const raw = express.raw({ type: XML_TYPES, limit: d.config().server.bodyLimitBytes });
  const handler = async (req: Request, res: Response): Promise<void> => {
    if (!req.is(XML_TYPES)) return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send the bericht as application/xml');
    const source = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (source.length === 0) return sendError(res, 400, 'XML_EMPTY', 'paste or upload a bericht');
    const verdict = await d.validation.validate(source, { retour: true });
    const plan = planOf(verdict, d.config().routes);
    const destination = plan.route ? d.config().destinations.find((x) => x.id === plan.route!.destination) : undefined;
    const routed = plan.payloadEntry;
    const route = !verdict.valid
      ? {
          kind: 'refused',
          text: 'an invalid bericht is not routed: the sender gets the findings (and the retour, where the standard prescribes one)',
        }
      : plan.route && destination
        ? {
            kind: 'route',
            destination: destination.id,
            adapter: destination.adapter,
            message: routed?.name ?? null,
            direction: routed?.direction ?? null,
          }
        : {
            kind: 'no-route',
            code: 'NO_ROUTE',
            text: `no route for ${routed?.name ?? 'this bericht'} to ${plan.header.ontvanger ?? plan.header.afzender ?? 'this party'}; add one to the route table`,
          };
    await d.store.audit({
      actor: actorOf(principalOf(res)),
      action: 'beheer.test-bericht',
      details: {
        message: verdict.payload?.message ?? verdict.message,
        valid: verdict.valid,
        findings: [...verdict.findings, ...(verdict.payload?.findings ?? [])].map((f) => f.code),
        route: route.kind === 'route' ? route.destination : route.kind,
        bytes: source.length,
        sha256: createHash('sha256').update(source).digest('hex'),
      },
    });
    res.json({
      stored: false,
      sent: false,
      verdict: verdictView(verdict),
      route,
      retour: verdict.retour ?? verdict.payload?.retour ?? null,
    });
  };
  return [raw, (req, res, next) => void handler(req, res).catch(next)];
}
