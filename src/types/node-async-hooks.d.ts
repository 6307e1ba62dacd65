// The part of node:async_hooks the `nodejs_als` compatibility flag provides (wrangler types does
// not describe it, and @types/node would bring every Node global into the Worker's types).
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
