import type { Adapter, DeliveryOutcome } from '../types.ts';

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
    async deliver(message, destination, signal): Promise<DeliveryOutcome> {
      if (destination.adapter !== 'webhook') {
        return { kind: 'failed', reason: `webhook adapter cannot serve a "${destination.adapter}" destination` };
      }
      const timeout = AbortSignal.timeout(destination.timeoutMs);
      const combined = AbortSignal.any([signal, timeout]);
      const headers = new Headers(destination.headers);
      headers.set('content-type', 'application/xml');
      headers.set('x-schakel-id', message.id);
      headers.set('x-schakel-message', message.messageName);
      headers.set('x-schakel-correlation', message.correlatedTo ?? message.id);
      headers.set('x-schakel-attempt', String(message.attempt));

      let response: Response;
      try {
        response = await fetch(destination.url, {
          method: 'POST',
          body: message.body,
          headers,
          signal: combined,
          redirect: 'manual',
        });
      } catch (err) {
        const reason = timeout.aborted
          ? `timeout after ${destination.timeoutMs} ms`
          : signal.aborted
            ? 'aborted before the receiver answered'
            : `network error: ${networkCause(err)}`;
        return { kind: 'retry', reason };
      }

      const status = response.status;
      const answer = await readExcerpt(response, answerBytes);
      const statusText = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
      if (status >= 200 && status < 300) return { kind: 'delivered', status, answer };
      if (status === 408 || status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        return {
          kind: 'retry',
          reason: statusText,
          status,
          answer,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        };
      }
      if (status >= 300 && status < 400) {
        const reason = `${statusText}: redirects are not followed; configure the final URL`;
        return { kind: 'failed', reason, status, answer };
      }
      return { kind: 'failed', reason: statusText, status, answer };
    },
  };
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

async function readExcerpt(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The reply was cut off; what arrived is still a useful excerpt.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8').trim();
}

function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
