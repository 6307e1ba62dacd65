import { asc, eq } from "drizzle-orm";
import type { DB } from "../client";
import { inlineHooks, type InlineHookRow } from "../schema";

export async function getInlineHook(db: DB, id: string): Promise<InlineHookRow | undefined> {
  return db.query.inlineHooks.findFirst({ where: eq(inlineHooks.id, id) });
}

export async function listInlineHooks(db: DB, type?: string): Promise<InlineHookRow[]> {
  return db
    .select()
    .from(inlineHooks)
    .where(type ? eq(inlineHooks.type, type) : undefined)
    .orderBy(asc(inlineHooks.id));
}

export async function saveInlineHook(db: DB, row: InlineHookRow): Promise<void> {
  const { id: _id, created: _c, ...changes } = row;
  await db.insert(inlineHooks).values(row).onConflictDoUpdate({ target: inlineHooks.id, set: changes });
}

export async function deleteInlineHook(db: DB, id: string): Promise<void> {
  await db.delete(inlineHooks).where(eq(inlineHooks.id, id));
}
