import { sql, type SQL } from "drizzle-orm";
import type { CompiledMapping } from "../../assignments/effective-profile";
import type { Expr } from "../../mappings/expression-language";
import { DEFAULT_USERNAME_TEMPLATE, templateParts, type TemplateExpr } from "../../domain/username-template";
import type { LogEventRow } from "../schema";

/**
 * The fan-out's fast path: a group member with no assignment in the app, in no other group the
 * app assigns, and not deactivated gets exactly the row `reconcile` would build for them (scope
 * GROUP, the mapped defaults with the group's profile on top, the app's username) and its
 * application.user_membership.add event. When the app's mapping and username template are
 * expressions SQL can evaluate the same way, both are written by INSERT ... SELECT from
 * group_members: no row travels through the Worker. Everyone else in the chunk (existing
 * assignments, members of several assigned groups, profiles whose attributes are not plain
 * text) goes through the rules in JavaScript. `compileFastAdd` returns undefined when the app's
 * expressions are outside what SQL evaluates identically.
 */
export interface FastAddInput {
  appId: string;
  groupId: string;
  mapping: CompiledMapping;
  /** The group's profile without SELF-scoped attributes: what it adds on top of the defaults. */
  groupProfile: Record<string, unknown>;
  userNameTemplate: { template?: string; type?: string } | undefined;
  status: "STAGED" | "ACTIVE";
  syncState: "SYNCING" | "DISABLED";
}

export interface FastAdd {
  /** True for the members the fast path writes (aliases: gm = group_members, u = users). */
  eligible: SQL;
  /** Inserts their app users (optionally returning the user ids). */
  insertAppUsers(range: MemberRange, now: number, returning: boolean): SQL;
  /** Inserts their events; `event` is a fully built event whose per-member parts are replaced. */
  insertEvents(range: MemberRange, event: LogEventRow, uuidPrefix: string): SQL;
}

/** Members with ids in (after, upTo] of one group. */
export interface MemberRange {
  groupId: string;
  after: string;
  upTo: string;
}

// D1 allows 32 arguments per SQL function: json_object takes at most 16 key/value pairs.
const PAIRS_PER_OBJECT = 16;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function compileFastAdd(input: FastAddInput): FastAdd | undefined {
  const attrs = new Set<string>();
  const mapped: [string, SQL][] = [];
  for (const { attr, expr } of input.mapping) {
    if (attr.includes("\u0000")) return undefined;
    const compiled = mappingExpr(expr, attrs);
    if (!compiled) return undefined;
    mapped.push([attr, compiled]);
  }
  // Group profile values replace (never merge into) the defaults; json_patch would merge objects.
  if (Object.values(input.groupProfile).some((v) => v !== null && typeof v === "object" && !Array.isArray(v))) return undefined;
  const userName = userNameSql(input.userNameTemplate, attrs);
  if (userName === undefined) return undefined;

  let defaults: SQL = sql`'{}'`;
  for (let i = 0; i < mapped.length; i += PAIRS_PER_OBJECT) {
    const pairs = mapped.slice(i, i + PAIRS_PER_OBJECT).flatMap(([attr, value]) => [literal(attr), value]);
    // json_patch drops the nulls, as mappedDefaults leaves out attributes that evaluate to null.
    defaults = sql`json_patch(${defaults}, json_object(${sql.join(pairs, sql`, `)}))`;
  }
  const profile = sql`json_patch(${defaults}, ${JSON.stringify(input.groupProfile)})`;
  // Only profiles whose referenced attributes are text or absent: elsewhere JavaScript and SQL
  // turn values into text differently (numbers, booleans, objects).
  const guards = [...attrs].map((name) => sql`coalesce(json_type(u.profile, ${literal(`$.${name}`)}), 'null') IN ('text', 'null')`);
  const eligible = sql.join(
    [
      sql`u.status != 'DEPROVISIONED'`,
      sql`NOT EXISTS (SELECT 1 FROM app_users au WHERE au.app_id = ${input.appId} AND au.user_id = gm.user_id)`,
      sql`NOT EXISTS (SELECT 1 FROM group_members g2 JOIN app_groups ag ON ag.group_id = g2.group_id
            WHERE g2.user_id = gm.user_id AND ag.app_id = ${input.appId} AND g2.group_id != ${input.groupId})`,
      ...guards,
    ],
    sql` AND `,
  );
  const members = (range: MemberRange) =>
    sql`FROM group_members gm JOIN users u ON u.id = gm.user_id
        WHERE gm.group_id = ${range.groupId} AND gm.user_id > ${range.after} AND gm.user_id <= ${range.upTo} AND ${eligible}`;
  const shownName = sql`coalesce(${userName}, u.login)`;

  return {
    eligible,
    insertAppUsers: (range, now, returning) => sql`
      INSERT INTO app_users (app_id, user_id, scope, status, sync_state, external_id, user_name, password_ciphertext, profile, overrides,
                             created, last_updated, status_changed, password_changed, last_sync)
      SELECT ${input.appId}, gm.user_id, 'GROUP', ${input.status}, ${input.syncState}, NULL, ${userName}, NULL, ${profile}, '{}',
             ${now}, ${now}, ${now}, NULL, NULL
      ${members(range)}
      ORDER BY gm.user_id
      ${returning ? sql`RETURNING user_id` : sql``}`,
    insertEvents: (range, event, uuidPrefix) => {
      const [appTarget] = event.target;
      return sql`
      INSERT INTO log_events (uuid, published, event_type, severity, display_message, outcome, actor, target, debug_context)
      SELECT ${uuidPrefix} || printf('%06x', row_number() OVER (ORDER BY gm.user_id)), ${event.published.getTime()}, ${event.eventType},
             ${event.severity}, ${event.displayMessage}, ${JSON.stringify(event.outcome)}, ${JSON.stringify(event.actor)},
             json_array(json(${JSON.stringify(appTarget)}),
                        json_object('id', u.id, 'type', 'User', 'alternateId', u.login, 'displayName', ${displayName}),
                        json_object('id', u.id, 'type', 'AppUser', 'alternateId', ${shownName}, 'displayName', ${shownName})),
             ${JSON.stringify(event.debugContext)}
      ${members(range)}`;
    },
  };
}

/** userTarget's display name: first and last name (those set), else the login. */
const displayName = sql`CASE
  WHEN coalesce(u.first_name, '') != '' AND coalesce(u.last_name, '') != '' THEN u.first_name || ' ' || u.last_name
  WHEN coalesce(u.first_name, '') != '' THEN u.first_name
  WHEN coalesce(u.last_name, '') != '' THEN u.last_name
  ELSE u.login END`;

/** Okta EL as the evaluator reads it: attributes (text or null), string literals and +. */
function mappingExpr(expr: Expr, attrs: Set<string>): SQL | undefined {
  switch (expr.kind) {
    case "lit":
      return typeof expr.value === "string" ? sql`${expr.value}` : expr.value === null ? sql`NULL` : undefined;
    case "attr":
      return attribute(expr.name, attrs);
    case "concat": {
      const [left, right] = [mappingExpr(expr.left, attrs), mappingExpr(expr.right, attrs)];
      return left && right ? sql`(coalesce(${left}, '') || coalesce(${right}, ''))` : undefined;
    }
    default:
      return undefined;
  }
}

/** A username template of literal text and `source.<attr>` references; NULL when it renders "". */
function userNameSql(template: FastAddInput["userNameTemplate"], attrs: Set<string>): SQL | undefined {
  if (template?.type === "NONE") return sql`NULL`;
  const parts: SQL[] = [];
  for (const part of templateParts(template?.template ?? DEFAULT_USERNAME_TEMPLATE)) {
    const compiled = typeof part === "string" ? sql`${part}` : templateExpr(part, attrs);
    if (!compiled) return undefined;
    parts.push(compiled);
  }
  return parts.length === 0 ? sql`NULL` : sql`nullif(${sql.join(parts, sql` || `)}, '')`;
}

function templateExpr(expr: TemplateExpr, attrs: Set<string>): SQL | undefined {
  if (expr.kind === "lit") return sql`${expr.value}`;
  if (expr.kind === "attr") {
    const value = attribute(expr.name, attrs);
    return value && sql`coalesce(${value}, '')`;
  }
  return undefined;
}

/**
 * A profile attribute: plain names only, and none that JavaScript would find on every object
 * (a template reads `source.constructor` from the prototype; SQL reads nothing).
 */
function attribute(name: string, attrs: Set<string>): SQL | undefined {
  if (!PLAIN_NAME.test(name) || name in Object.prototype) return undefined;
  attrs.add(name);
  return sql`json_extract(u.profile, ${literal(`$.${name}`)})`;
}

/**
 * A name as an SQL string literal rather than a bound parameter: a statement may bind at most
 * 100 values on D1, and a mapping of many attributes would need one per name and path.
 */
function literal(text: string): SQL {
  return sql.raw(`'${text.replaceAll("'", "''")}'`);
}
