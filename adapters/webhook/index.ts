import type { WebhookDestination } from '../../src/config/schema.ts';
import type { Adapter, DeliveryOutcome } from '../../src/transport/adapter.ts';
import { post } from '../http/post.ts';
import { internalPayload } from '../internal-payload.ts';

export interface WebhookAdapterOptions {
  /** Bytes of the receiver's reply read for the answer excerpt; the rest is discarded. */
  answerBytes?: number;
}

/**
 * Delivers by HTTP POST of the exact bytes received, as application/xml, with the Schakel headers:
 * X-Schakel-Id (message id), X-Schakel-Message (message name), X-Schakel-Correlation (the heenbericht's id for a
 * retour, else the message's own id) and X-Schakel-Attempt. 2xx is delivered; 408, 429, 5xx, network errors
 * and timeouts are retried (Retry-After passed on); other statuses, redirects included, fail without retry.
 */
export function webhookAdapter(options: WebhookAdapterOptions = {}): Adapter {
  const answerBytes = options.answerBytes ?? 4096;
  return {
    name: 'webhook',
    async deliver(message, destination, signal, tls): Promise<DeliveryOutcome> {
      if (destination.adapter !== 'webhook') {
        return { kind: 'failed', reason: `webhook adapter cannot serve a "${destination.adapter}" destination` };
      }
      const payload = internalPayload(message.body);
      // Configured headers first; the Schakel headers are set after them and cannot be replaced.
      const headers: Record<string, string> = {
        ...configuredHeaders(destination),
        ...payload.headers,
        'content-type': 'application/xml',
        'x-schakel-id': message.id,
        'x-schakel-message': message.messageName,
        'x-schakel-correlation': message.correlatedTo ?? message.id,
        'x-schakel-attempt': String(message.attempt),
        'content-length': String(payload.body.length),
      };

      const result = await post({
        url: destination.url,
        body: payload.body,
        headers,
        timeoutMs: destination.timeoutMs,
        signal,
        tls,
        answerBytes,
      });
      if (result.kind === 'unreachable')
        return { kind: 'retry', reason: result.reason, ...(result.tlsRefused ? { tlsRefused: true } : {}) };
      const outcome = outcomeOfStatus(
        result.status,
        result.statusText,
        result.answer.length === 0 ? '' : result.answer.toString('utf8').trim(),
        // Only a retry reads Retry-After (and only then are the answer's headers put together).
        retryable(result.status) ? result.headers['retry-after'] : undefined,
      );
      return outcome.kind === 'delivered' && result.peerOin !== undefined
        ? { ...outcome, peerOin: result.peerOin }
        : outcome;
    },
  };
}

/** The configured headers of a destination that may be sent (not Content-Type or X-Schakel-*), read once. */
const configured = new WeakMap<WebhookDestination['headers'], Record<string, string>>();

function configuredHeaders(destination: WebhookDestination): Record<string, string> {
  let headers = configured.get(destination.headers);
  if (!headers) {
    headers = {};
    for (const [name, value] of Object.entries(destination.headers)) {
      if (!/^(content-type|x-schakel-.*)$/i.test(name)) headers[name] = value;
    }
    configured.set(destination.headers, headers);
  }
  return headers;
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * The outcome an HTTP status means for a plain POST: 2xx delivered; 408, 429 and 5xx retried (Retry-After passed
 * on); redirects and other statuses failed without retry.
 */
export function outcomeOfStatus(
  status: number,
  statusText: string,
  answer: string,
  retryAfter: string | string[] | undefined,
): DeliveryOutcome {
  const text = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'delivered', status, answer };
  if (retryable(status)) {
    const retryAfterMs = parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : null);
    return { kind: 'retry', reason: text, status, answer, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status >= 300 && status < 400) {
    return { kind: 'failed', reason: `${text}: redirects are not followed; configure the final URL`, status, answer };
  }
  return { kind: 'failed', reason: text, status, answer };
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^[0-9]+$/.test(v)) return Number(v) * 1000;
  if (!/GMT$/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
