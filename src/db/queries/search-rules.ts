import { sql } from "drizzle-orm";
import type { AttributeRules, Operator } from "../../domain/search-expression";
import { apps, appUsers, groups, users } from "../schema";
import { profileAttr, type ColumnResolver } from "./expression-sql";

// Which attributes each list endpoint lets `filter`/`search` use (okta-reference.md §4.2, §5, §6)
// and where each one lives in D1.
const EQ: readonly Operator[] = ["eq"];
const RANGE: readonly Operator[] = ["eq", "gt", "ge", "lt", "le"];
const SEARCH_TEXT: readonly Operator[] = ["eq", "sw", "pr"];
const SEARCH_TEXT_CONTAINS: readonly Operator[] = ["eq", "sw", "co", "pr"];
const PROFILE_ATTR = /^profile\.[A-Za-z_][A-Za-z0-9_]{0,99}$/;

const rulesFrom =
  (table: Record<string, readonly Operator[]>, profileOps?: readonly Operator[]): AttributeRules =>
  (attr) =>
    (Object.hasOwn(table, attr) ? table[attr] : undefined) ?? (profileOps && PROFILE_ATTR.test(attr) ? profileOps : undefined);

export const userFilterRules = rulesFrom({
  status: EQ,
  id: EQ,
  "profile.login": EQ,
  "profile.email": EQ,
  "profile.firstName": EQ,
  "profile.lastName": EQ,
  lastUpdated: RANGE,
});

export const userSearchRules = rulesFrom(
  {
    status: EQ,
    id: EQ,
    "profile.login": SEARCH_TEXT_CONTAINS,
    "profile.email": SEARCH_TEXT_CONTAINS,
    "profile.firstName": SEARCH_TEXT_CONTAINS,
    "profile.lastName": SEARCH_TEXT_CONTAINS,
    created: RANGE,
    activated: RANGE,
    statusChanged: RANGE,
    lastUpdated: RANGE,
  },
  SEARCH_TEXT,
);

export const userColumns: ColumnResolver = (attr) => {
  switch (attr) {
    case "id":
      return { expr: users.id, kind: "text" };
    case "status":
      return { expr: users.status, kind: "text" };
    case "profile.login":
      return { expr: users.loginLower, kind: "ci-text" };
    case "profile.email":
      return { expr: users.email, kind: "ci-text" };
    case "profile.firstName":
      return { expr: users.firstName, kind: "ci-text" };
    case "profile.lastName":
      return { expr: users.lastName, kind: "ci-text" };
    case "created":
      return { expr: users.created, kind: "date" };
    case "activated":
      return { expr: users.activated, kind: "date" };
    case "statusChanged":
      return { expr: users.statusChanged, kind: "date" };
    case "lastUpdated":
      return { expr: users.lastUpdated, kind: "date" };
    default:
      return { expr: profileAttr(users.profile, attr.slice("profile.".length)), kind: "ci-text" };
  }
};

export const groupFilterRules = rulesFrom({ id: EQ, type: EQ, lastUpdated: RANGE, lastMembershipUpdated: RANGE });

export const groupSearchRules = rulesFrom(
  {
    id: EQ,
    type: EQ,
    "profile.name": SEARCH_TEXT_CONTAINS,
    "profile.description": SEARCH_TEXT_CONTAINS,
    created: RANGE,
    lastUpdated: RANGE,
    lastMembershipUpdated: RANGE,
  },
  SEARCH_TEXT,
);

export const groupColumns: ColumnResolver = (attr) => {
  switch (attr) {
    case "id":
      return { expr: groups.id, kind: "text" };
    case "type":
      return { expr: groups.type, kind: "text" };
    case "profile.name":
      return { expr: groups.nameLower, kind: "ci-text" };
    case "profile.description":
      return { expr: groups.description, kind: "ci-text" };
    case "created":
      return { expr: groups.created, kind: "date" };
    case "lastUpdated":
      return { expr: groups.lastUpdated, kind: "date" };
    case "lastMembershipUpdated":
      return { expr: groups.lastMembershipUpdated, kind: "date" };
    default:
      return { expr: profileAttr(groups.profile, attr.slice("profile.".length)), kind: "ci-text" };
  }
};

export const appFilterRules = rulesFrom({ id: EQ, status: EQ, name: EQ, "user.id": EQ });

export const appColumns: ColumnResolver = (attr) => {
  switch (attr) {
    case "user.id":
      return {
        kind: "custom",
        build: (value) => sql`${apps.id} IN (SELECT ${appUsers.appId} FROM ${appUsers} WHERE ${appUsers.userId} = ${String(value)})`,
      };
    case "status":
      return { expr: apps.status, kind: "text" };
    case "name":
      return { expr: apps.name, kind: "text" };
    default:
      return { expr: apps.id, kind: "text" };
  }
};

export const appUserFilterRules = rulesFrom({ scope: EQ, status: EQ, syncState: EQ, id: EQ });

export const appUserColumns: ColumnResolver = (attr) => {
  switch (attr) {
    case "scope":
      return { expr: appUsers.scope, kind: "text" };
    case "status":
      return { expr: appUsers.status, kind: "text" };
    case "syncState":
      return { expr: appUsers.syncState, kind: "text" };
    default:
      return { expr: appUsers.userId, kind: "text" };
  }
};
