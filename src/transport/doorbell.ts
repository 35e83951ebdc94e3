/**
 * How a polling loop is woken early: `ring()` ends the loop's current sleep, or the next one if it is not asleep
 * yet (so a ring between a look and the sleep after it is not lost); a sleep otherwise ends after its time.
 */
export class Doorbell {
  private rung = false;
  private wake: (() => void) | null = null;

  ring(): void {
    this.rung = true;
    this.wake?.();
  }

  /** Whether it rang since the loop last cleared it. */
  get ringing(): boolean {
    return this.rung;
  }

  /** The loop is about to look: rings from now on are for its next sleep. */
  clear(): void {
    this.rung = false;
  }

  /** Sleeps `ms`, or less when it rings (or has rung since `clear`) or `stopped()` holds. */
  sleep(ms: number, stopped: () => boolean): Promise<void> {
    if (this.rung || stopped()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
