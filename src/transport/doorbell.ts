/**
 * How a polling loop is woken early: `ring()` ends the loop's current sleep, or the next one if it is not asleep
 * yet (so a ring between a look and the sleep after it is not lost); a sleep otherwise ends after its time.
 *
 * Under load the loop sleeps after every ring, thousands of times a second: every sleep restarts one timer
 * (`refresh`) instead of making a new one, and the timer holds the process open only while the loop sleeps.
 */
export class Doorbell {
  private rung = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerMs = -1;

  ring(): void {
    this.rung = true;
    const wake = this.wake;
    if (wake) {
      this.wake = null;
      this.timer?.unref();
      wake();
    }
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
      this.wake = resolve;
      if (this.timer !== null && this.timerMs === ms) {
        this.timer.refresh();
        this.timer.ref();
      } else {
        if (this.timer !== null) clearTimeout(this.timer);
        this.timerMs = ms;
        this.timer = setTimeout(Doorbell.timeUp, ms, this);
      }
    });
  }

  /** A sleep ran its time. */
  private static timeUp(bell: Doorbell): void {
    const wake = bell.wake;
    bell.wake = null;
    wake?.();
  }
}
