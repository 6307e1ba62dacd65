import { parse, type Filter } from "scim2-parse-filter";
import { DomainError } from "./errors";

// Okta's `filter` and `search` query parameters use SCIM filter syntax
// (`status eq "ACTIVE" and profile.lastName sw "Sm"`). This turns them into a small typed
// tree and enforces, per endpoint, which attributes and operators are allowed.
export type Operator = "eq" | "sw" | "co" | "gt" | "ge" | "lt" | "le" | "pr";
export type Value = string | number | boolean | null;
export type Condition = { kind: "cond"; attr: string; op: Operator; value: Value };
export type Expression = Condition | { kind: "and" | "or"; terms: Expression[] };

/** Which operators an attribute accepts (undefined: the attribute is not searchable). */
export type AttributeRules = (attr: string) => readonly Operator[] | undefined;

const OPERATORS: readonly Operator[] = ["eq", "sw", "co", "gt", "ge", "lt", "le", "pr"];

export function parseExpression(text: string, param: "filter" | "search", rules: AttributeRules): Expression {
  let tree: Filter;
  try {
    tree = parse(text);
  } catch {
    throw invalid(`${param}: could not parse "${text}"`);
  }
  const expression = convert(tree, param, rules);
  // Each condition binds two parameters and D1 allows 100 per statement (with room for paging).
  if (countConditions(expression) > MAX_CONDITIONS) throw invalid(`${param}: at most ${MAX_CONDITIONS} conditions`);
  return expression;
}

const MAX_CONDITIONS = 20;

function countConditions(expression: Expression): number {
  return expression.kind === "cond" ? 1 : expression.terms.reduce((sum, term) => sum + countConditions(term), 0);
}

function convert(node: Filter, param: string, rules: AttributeRules): Expression {
  switch (node.op) {
    case "and":
    case "or":
      return { kind: node.op, terms: node.filters.map((child) => convert(child, param, rules)) };
    case "not":
    case "[]":
      throw invalid(`${param}: "${node.op === "not" ? "not" : "[...]"}" is not supported`);
    default: {
      const op = node.op as Operator;
      if (!OPERATORS.includes(op)) throw invalid(`${param}: operator "${node.op}" is not supported`);
      const allowed = rules(node.attrPath);
      if (!allowed) throw invalid(`${param}: attribute "${node.attrPath}" is not supported`);
      if (!allowed.includes(op)) throw invalid(`${param}: operator "${op}" is not supported on "${node.attrPath}"`);
      const value = "compValue" in node ? (node.compValue as Value) : null;
      return { kind: "cond", attr: node.attrPath, op, value };
    }
  }
}

function invalid(cause: string): DomainError {
  return new DomainError("E0000031", "", [cause]);
}

/** Parses an ISO-8601 date used as a comparison value, or fails with E0000031. */
export function dateValue(condition: Condition): number {
  const ms = typeof condition.value === "string" ? Date.parse(condition.value) : Number.NaN;
  if (Number.isNaN(ms)) throw invalid(`${condition.attr}: "${String(condition.value)}" is not an ISO-8601 date`);
  return ms;
}
