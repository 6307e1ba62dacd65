import type { SQL } from "drizzle-orm";
import { expressionToSql, type ColumnResolver } from "../db/queries/expression-sql";
import { decodeCursor } from "../domain/cursor";
import { DomainError } from "../domain/errors";
import { parseExpression, type AttributeRules } from "../domain/search-expression";

/** Turns Okta's `filter` or `search` parameter into a WHERE clause for the list endpoint. */
export function whereFrom(
  text: string | undefined,
  param: "filter" | "search",
  rules: AttributeRules,
  columns: ColumnResolver,
): SQL | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  return expressionToSql(parseExpression(text, param, rules), columns);
}

/** Okta refuses `search` together with `filter` (E0000033). */
export function oneOfFilterOrSearch(filter: string | undefined, search: string | undefined): void {
  if (filter && search) throw new DomainError("E0000033");
}

/** The id a keyset page continues after, from an `after` cursor. */
export function afterId(after: string | undefined): string | undefined {
  if (after === undefined || after === "") return undefined;
  const [id] = decodeCursor(after, 1);
  return String(id);
}
