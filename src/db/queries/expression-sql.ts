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
      return sql`${lhs} LIKE ${escapeLike(rhs) + "%"} ESCAPE '\\'`;
    case "co":
      return sql`${lhs} LIKE ${"%" + escapeLike(rhs) + "%"} ESCAPE '\\'`;
    default:
      return sql`${lhs} ${sql.raw(comparator(op))} ${rhs}`;
  }
}

function comparator(op: string): string {
  return { eq: "=", gt: ">", ge: ">=", lt: "<", le: "<=" }[op] ?? "=";
}

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** A prefix match (Okta's `q`) on any of the given columns, case-insensitive. */
export function startsWithAny(prefix: string, columns: SQLWrapper[]): SQL {
  const pattern = escapeLike(prefix) + "%";
  return or(...columns.map((column) => sql`${column} LIKE ${pattern} ESCAPE '\\'`)) as SQL;
}

/** json_extract path for a profile attribute, validated to a safe identifier by the caller. */
export function profileAttr(profileColumn: SQLWrapper, attr: string): SQL {
  return sql`json_extract(${profileColumn}, ${"$." + attr})`;
}
