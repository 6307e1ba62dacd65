import { DomainError } from "../domain/errors";

/*
 * A safe evaluator for a documented subset of Okta Expression Language, used by profile
 * mappings (Okta user -> app user). Expressions are parsed once, when a mapping is saved, into
 * a small tree; evaluation walks that tree and never runs code. Supported:
 *
 *   user.<attr>                          an attribute of the Okta user's profile
 *   "text", 'text', 42, true, false, null  literals
 *   a + b                                string concatenation (null counts as "")
 *   a == b, a != b                       comparison (for conditions)
 *   c ? a : b                            ternary; c is true when non-null, non-empty and not false
 *   a ?: b                               Elvis: a unless it is null or empty
 *   String.toUpperCase(s) String.toLowerCase(s) String.substringBefore(s, sep)
 *   String.substringAfter(s, sep) String.join(separator, a, b, ...)
 *   ( ... )                              grouping
 *
 * Anything else (other functions, other objects than `user`) is rejected with E0000001.
 */

export type Value = string | number | boolean | null;
export type Expr =
  | { kind: "lit"; value: Value }
  | { kind: "attr"; name: string }
  | { kind: "call"; fn: string; args: Expr[] }
  | { kind: "concat"; left: Expr; right: Expr }
  | { kind: "compare"; op: "==" | "!="; left: Expr; right: Expr }
  | { kind: "ternary"; test: Expr; then: Expr; otherwise: Expr }
  | { kind: "elvis"; left: Expr; right: Expr };

const text = (v: Value) => (v === null ? "" : String(v));

const FUNCTIONS: Record<string, { min: number; max: number; apply: (args: Value[]) => Value }> = {
  "String.toUpperCase": { min: 1, max: 1, apply: ([s]) => (s === null ? null : text(s).toUpperCase()) },
  "String.toLowerCase": { min: 1, max: 1, apply: ([s]) => (s === null ? null : text(s).toLowerCase()) },
  "String.substringBefore": {
    min: 2,
    max: 2,
    apply: ([s, sep]) => {
      if (s === null) return null;
      const i = text(s).indexOf(text(sep));
      return i < 0 ? text(s) : text(s).slice(0, i);
    },
  },
  "String.substringAfter": {
    min: 2,
    max: 2,
    apply: ([s, sep]) => {
      if (s === null) return null;
      const i = text(s).indexOf(text(sep));
      return i < 0 ? "" : text(s).slice(i + text(sep).length);
    },
  },
  "String.join": { min: 2, max: 32, apply: ([sep, ...parts]) => parts.map(text).join(text(sep)) },
};

const MAX_LENGTH = 1024;

type Token = { type: "str" | "num" | "ident" | "op" | "end"; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ch === "'") {
      let value = "";
      i++;
      while (i < source.length && source[i] !== ch) {
        if (source[i] === "\\" && i + 1 < source.length) i++;
        value += source[i++];
      }
      if (source[i] !== ch) throw invalid("unterminated string literal");
      i++;
      tokens.push({ type: "str", value });
    } else if (/[0-9]/.test(ch)) {
      const match = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ type: "num", value: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_$]/.test(ch)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*/.exec(source.slice(i))!;
      tokens.push({ type: "ident", value: match[0] });
      i += match[0].length;
    } else {
      const two = source.slice(i, i + 2);
      if (two === "==" || two === "!=" || two === "?:") {
        tokens.push({ type: "op", value: two });
        i += 2;
      } else if ("+?:(),".includes(ch)) {
        tokens.push({ type: "op", value: ch });
        i++;
      } else {
        throw invalid(`unexpected character "${ch}"`);
      }
    }
  }
  tokens.push({ type: "end", value: "" });
  return tokens;
}

class Parser {
  #pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Expr {
    const expr = this.#conditional();
    if (this.#peek().type !== "end") throw invalid(`unexpected "${this.#peek().value}"`);
    return expr;
  }

  #peek(): Token {
    return this.tokens[this.#pos];
  }

  #take(value?: string): Token {
    const token = this.tokens[this.#pos];
    if (value !== undefined && (token.type !== "op" || token.value !== value)) {
      throw invalid(`expected "${value}" but found "${token.value || "end of expression"}"`);
    }
    this.#pos++;
    return token;
  }

  #isOp(value: string): boolean {
    const token = this.#peek();
    return token.type === "op" && token.value === value;
  }

  #conditional(): Expr {
    const test = this.#comparison();
    if (this.#isOp("?:")) {
      this.#take();
      return { kind: "elvis", left: test, right: this.#conditional() };
    }
    if (this.#isOp("?")) {
      this.#take();
      const then = this.#conditional();
      this.#take(":");
      return { kind: "ternary", test, then, otherwise: this.#conditional() };
    }
    return test;
  }

  #comparison(): Expr {
    let left = this.#concat();
    while (this.#isOp("==") || this.#isOp("!=")) {
      const op = this.#take().value as "==" | "!=";
      left = { kind: "compare", op, left, right: this.#concat() };
    }
    return left;
  }

  #concat(): Expr {
    let left = this.#primary();
    while (this.#isOp("+")) {
      this.#take();
      left = { kind: "concat", left, right: this.#primary() };
    }
    return left;
  }

  #primary(): Expr {
    const token = this.#take();
    if (token.type === "str") return { kind: "lit", value: token.value };
    if (token.type === "num") return { kind: "lit", value: Number(token.value) };
    if (token.type === "op" && token.value === "(") {
      const inner = this.#conditional();
      this.#take(")");
      return inner;
    }
    if (token.type === "ident") {
      if (token.value === "null") return { kind: "lit", value: null };
      if (token.value === "true" || token.value === "false") return { kind: "lit", value: token.value === "true" };
      if (this.#isOp("(")) return this.#call(token.value);
      const [root, ...rest] = token.value.split(".");
      if (root === "user" && rest.length === 1) return { kind: "attr", name: rest[0] };
      throw invalid(`unsupported reference "${token.value}" (only user.<attribute> is supported)`);
    }
    throw invalid(`unexpected "${token.value || "end of expression"}"`);
  }

  #call(name: string): Expr {
    const fn = FUNCTIONS[name];
    if (!fn) throw invalid(`unsupported function "${name}"`);
    this.#take("(");
    const args: Expr[] = [];
    if (!this.#isOp(")")) {
      args.push(this.#conditional());
      while (this.#isOp(",")) {
        this.#take();
        args.push(this.#conditional());
      }
    }
    this.#take(")");
    if (args.length < fn.min || args.length > fn.max)
      throw invalid(`${name} takes ${fn.min === fn.max ? fn.min : `${fn.min} to ${fn.max}`} argument(s)`);
    return { kind: "call", fn: name, args };
  }
}

/** Parses an expression, or throws E0000001 saying what is wrong with it. */
export function parseExpression(source: string): Expr {
  if (source.length > MAX_LENGTH) throw invalid(`longer than ${MAX_LENGTH} characters`);
  return new Parser(tokenize(source)).parse();
}

const truthy = (v: Value) => v !== null && v !== false && v !== "";

/** Evaluates a parsed expression against an Okta user profile. */
export function evaluate(expr: Expr, user: Record<string, unknown>): Value {
  switch (expr.kind) {
    case "lit":
      return expr.value;
    case "attr": {
      // Own properties only: `user.__proto__` or `user.constructor` read nothing.
      const value = Object.hasOwn(user, expr.name) ? user[expr.name] : undefined;
      if (value === undefined || value === null) return null;
      return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : JSON.stringify(value);
    }
    case "call":
      return FUNCTIONS[expr.fn].apply(expr.args.map((arg) => evaluate(arg, user)));
    case "concat":
      return text(evaluate(expr.left, user)) + text(evaluate(expr.right, user));
    case "compare": {
      const equal = evaluate(expr.left, user) === evaluate(expr.right, user);
      return expr.op === "==" ? equal : !equal;
    }
    case "ternary":
      return truthy(evaluate(expr.test, user)) ? evaluate(expr.then, user) : evaluate(expr.otherwise, user);
    case "elvis": {
      const left = evaluate(expr.left, user);
      return left !== null && left !== "" ? left : evaluate(expr.right, user);
    }
  }
}

function invalid(reason: string): DomainError {
  return DomainError.validation("expression", `expression: ${reason}`);
}
