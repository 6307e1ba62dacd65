/**
 * Spaces outbound requests for one app to at most `perSecond` (0: no pacing). Callers await
 * `take()` before each request; slots are handed out in order, even to concurrent callers.
 */
export class Pacer {
  #next = 0;
  constructor(private perSecond: number) {}

  setRate(perSecond: number): void {
    this.perSecond = perSecond;
  }

  async take(now = Date.now()): Promise<void> {
    if (this.perSecond <= 0) return;
    const interval = 1000 / this.perSecond;
    const at = Math.max(this.#next, now);
    this.#next = at + interval;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}
