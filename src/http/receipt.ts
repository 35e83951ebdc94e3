import type { StoredMessage } from '../store/types.ts';

/** What a caller gets back for an accepted bericht (also for an exact repeat: the same receipt again). */
export interface Receipt {
  id: string;
  message: string;
  standard: string;
  release: string;
  status: string;
  receivedAt: string;
  statusUrl: string;
}

export function receipt(m: StoredMessage): Receipt {
  return {
    id: m.id,
    message: m.messageName,
    standard: m.standard,
    release: m.release,
    status: m.status,
    receivedAt: m.receivedAt.toISOString(),
    statusUrl: `/berichten/${m.id}`,
  };
}
