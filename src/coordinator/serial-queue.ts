/**
 * A FIFO critical section. A Durable Object's input gate opens whenever it awaits I/O such as
 * D1, so two requests can interleave between a read and the write that depends on it. Every
 * mutation runs through `run`, one after another in arrival order, so each sees the state
 * the previous one left.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // A failed task must not poison the ones queued behind it.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
