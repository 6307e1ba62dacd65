import { createMiddleware } from "hono/factory";
import { createDb, type DB } from "../db/client";
import type { Principal } from "./auth";

export type AppEnv = {
  Bindings: Env;
  Variables: { db: DB; requestId: string; principal: Principal };
};

export const dbProvider = createMiddleware<AppEnv>(async (c, next) => {
  c.set("db", createDb(c.env.DB));
  await next();
});
