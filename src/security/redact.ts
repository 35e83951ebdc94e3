/** A BSN is nine digits; any nine-digit run that is not part of a longer number is treated as one. */
const NINE_DIGITS = /(?<!\d)\d{9}(?!\d)/g;

export const REDACTED_BSN = '*********';

/** Replaces every BSN-shaped number in a text meant for people, logs or metrics. */
export function redactBsn(text: string): string {
  return text.replace(NINE_DIGITS, REDACTED_BSN);
}
