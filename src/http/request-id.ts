import { createMiddleware } from "hono/factory";
import { randomChars } from "../domain/ids";
import type { AppEnv } from "./context";

export const REQUEST_ID_HEADER = "X-Okta-Request-Id";

/** Gives every request an id, echoed on every response (errors included) as Okta does. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = randomChars(24);
  c.set("requestId", id);
  c.header(REQUEST_ID_HEADER, id);
  await next();
});
