import { and, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { dateValue, type Condition, type Expression } from "../../domain/search-expression";

/**
 * How an attribute is stored: plain text, text compared case-insensitively, epoch-ms dates, or
 * a custom condition (for attributes that live in another table, equality only).
 */
export type Column =
  { expr: SQLWrapper; kind: "text" | "ci-text" | "date" } | { kind: "custom"; build: (value: Condition["value"]) => SQL };
export type ColumnResolver = (attr: string) => Column;

/** Compiles a validated expression into a WHERE clause with every value bound as a parameter. */
export function expressionToSql(expression: Expression, resolve: ColumnResolver): SQL {
  if (expression.kind === "cond") return conditionToSql(expression, resolve(expression.attr));
  const parts = expression.terms.map((term) => expressionToSql(term, resolve));
  return (expression.kind === "and" ? and(...parts) : or(...parts)) as SQL;
}

function conditionToSql(condition: Condition, column: Column): SQL {
  const { op } = condition;
  if (column.kind === "custom") return column.build(condition.value);
  if (op === "pr") return sql`${column.expr} IS NOT NULL`;
  if (column.kind === "date") {
    const ms = dateValue(condition);
    return sql`${column.expr} ${sql.raw(comparator(op))} ${ms}`;
  }
  const value = condition.value === null ? "" : String(condition.value);
  const lhs = column.kind === "ci-text" ? sql`lower(${column.expr})` : column.expr;
  const rhs = column.kind === "ci-text" ? value.toLowerCase() : value;
  switch (op) {
    case "sw":
      return startsWith(lhs, rhs, column.kind === "ci-text");
    case "co":
      return contains(lhs, rhs, column.kind === "ci-text");
    default:
      return sql`${lhs} ${sql.raw(comparator(op))} ${rhs}`;
  }
}

function comparator(op: string): string {
  return { eq: "=", gt: ">", ge: ">=", lt: "<", le: "<=" }[op] ?? "=";
}

// Prefix and substring tests use substr()/instr() rather than LIKE: D1 refuses LIKE patterns
// longer than 50 bytes, and these need no wildcard escaping.

/** `column` starts with `prefix` (case-insensitively unless `caseSensitive`). */
export function startsWith(column: SQLWrapper, prefix: string, caseInsensitive = true): SQL {
  return caseInsensitive
    ? sql`lower(substr(${column}, 1, ${prefix.length})) = ${prefix.toLowerCase()}`
    : sql`substr(${column}, 1, ${prefix.length}) = ${prefix}`;
}

/** `column` contains `part` (case-insensitively unless `caseSensitive`). */
export function contains(column: SQLWrapper, part: string, caseInsensitive = true): SQL {
  return caseInsensitive ? sql`instr(lower(${column}), ${part.toLowerCase()}) > 0` : sql`instr(${column}, ${part}) > 0`;
}

/** A prefix match (Okta's `q`) on any of the given columns, case-insensitive. */
export function startsWithAny(prefix: string, columns: SQLWrapper[]): SQL {
  return or(...columns.map((column) => startsWith(column, prefix))) as SQL;
}

/** json_extract path for a profile attribute, validated to a safe identifier by the caller. */
export function profileAttr(profileColumn: SQLWrapper, attr: string): SQL {
  return sql`json_extract(${profileColumn}, ${"$." + attr})`;
}
