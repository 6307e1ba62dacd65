import type { DB } from "../db/client";
import type { AppRow, ProfileMappingRow } from "../db/schema";
import { getAppUserSchema, saveAppUserSchema } from "../db/queries/app-user-schemas";
import { getMappingForApp, insertMapping, updateMappingProperties } from "../db/queries/mappings";
import { appCoordinator } from "../coordinator/client";
import type { AuditContext } from "../audit/system-log";
import { loadOne } from "../coordinator/assignment-store";
import { baselineFor } from "../assignments/app-user-rules";
import { DomainError } from "../domain/errors";
import { randomChars } from "../domain/ids";
import { BASE_ATTRIBUTES, mergeCustomAttributes } from "../mappings/app-user-schema";
import { parseExpression } from "../mappings/expression-language";

type MappingProperties = ProfileMappingRow["properties"];

/** The statement that gives a new app its Okta user -> app user mapping (empty unless a template or a cloned app gives one). */
export function newMappingStatement(db: DB, appId: string, now: Date, properties: MappingProperties = {}) {
  return insertMapping(db, { id: `prm${randomChars(17)}`, appId, properties, created: now, lastUpdated: now });
}

/**
 * POST /meta/schemas/apps/{appId}/default: merges the custom definitions; removing an attribute
 * also removes its mapping and every user's value of it, through the app's coordinator.
 */
export async function updateAppUserSchema(env: Env, db: DB, app: AppRow, posted: Record<string, unknown>, audit?: AuditContext) {
  const current = await getAppUserSchema(db, app.id);
  const { next, removed } = mergeCustomAttributes(current?.custom ?? {}, posted);
  const now = new Date();
  await saveAppUserSchema(db, { appId: app.id, custom: next, created: current?.created ?? now, lastUpdated: now });
  if (removed.length > 0) {
    const mapping = await getMappingForApp(db, app.id);
    if (mapping && removed.some((name) => name in mapping.properties)) {
      const properties = Object.fromEntries(Object.entries(mapping.properties).filter(([key]) => !removed.includes(key)));
      await updateMappingProperties(db, mapping.id, properties, now);
    }
    await appCoordinator(env, app.id, audit).reconcileAll("app user attributes removed", removed);
  }
  return getAppUserSchema(db, app.id);
}

/**
 * POST /mappings/{mappingId}: merges property mappings ({expression: null} removes one). Every
 * target must be a custom attribute of the app and every expression must parse, or nothing is
 * saved (E0000001). Then the app's assignments are re-evaluated.
 */
export async function updateMapping(
  env: Env,
  db: DB,
  mapping: ProfileMappingRow,
  posted: Record<string, { expression: string | null; pushStatus?: "PUSH" | "DONT_PUSH" | null }>,
  audit?: AuditContext,
): Promise<ProfileMappingRow> {
  const schema = await getAppUserSchema(db, mapping.appId);
  const custom = schema?.custom ?? {};
  const properties: MappingProperties = { ...mapping.properties };
  const causes: string[] = [];
  for (const [attr, { expression, pushStatus }] of Object.entries(posted)) {
    if (expression === null) {
      delete properties[attr];
      continue;
    }
    if (attr in BASE_ATTRIBUTES) {
      causes.push(`${attr}: the app username comes from the app's username template (credentials.userNameTemplate)`);
      continue;
    }
    if (!(attr in custom)) {
      causes.push(`${attr}: not an attribute of the app user schema; add it to the custom definitions first`);
      continue;
    }
    try {
      parseExpression(expression);
    } catch (error) {
      causes.push(...(error instanceof DomainError ? error.causes.map((c) => `${attr}: ${c}`) : [`${attr}: invalid expression`]));
      continue;
    }
    properties[attr] = { expression, pushStatus: pushStatus ?? "PUSH" };
  }
  if (causes.length > 0) throw DomainError.validation("mapping", ...causes);
  const updated = (await updateMappingProperties(db, mapping.id, properties, new Date())) ?? mapping;
  await appCoordinator(env, mapping.appId, audit).reconcileAll("profile mapping changed");
  return updated;
}

/**
 * The values an app user's attributes take without per-user overrides (mapping defaults, then
 * the top group's profile for GROUP scope): what the console shows as "default" and what a
 * reset (posting null) returns to. A read of the same rules the coordinator applies.
 */
export async function appUserDefaults(db: DB, appId: string, userId: string): Promise<Record<string, unknown> | undefined> {
  const { user, existing, grants, rules } = await loadOne(db, appId, userId);
  if (!user || !existing) return undefined;
  return baselineFor({ user, grants, rules }, existing.scope);
}
