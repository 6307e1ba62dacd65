import { DomainError } from "./errors";

// Okta's app username templates (Application.credentials.userNameTemplate), e.g.
// "${source.login}" or "${fn:substringBefore(source.email, \"@\")}". This evaluates the
// built-in family: attribute references on the Okta user (`source.<attr>`) and the string
// functions Okta's built-in templates use. Full Okta Expression Language is out of scope.
type Source = Record<string, unknown>;
export type TemplateExpr =
  { kind: "attr"; name: string } | { kind: "lit"; value: string } | { kind: "fn"; name: string; args: TemplateExpr[] };

const FUNCTIONS: Record<string, { arity: number; apply: (args: string[]) => string }> = {
  substringBefore: { arity: 2, apply: ([s, sep]) => (s.includes(sep) ? s.slice(0, s.indexOf(sep)) : s) },
  substringAfter: { arity: 2, apply: ([s, sep]) => (s.includes(sep) ? s.slice(s.indexOf(sep) + sep.length) : "") },
  toLowerCase: { arity: 1, apply: ([s]) => s.toLowerCase() },
  toUpperCase: { arity: 1, apply: ([s]) => s.toUpperCase() },
};

export const DEFAULT_USERNAME_TEMPLATE = "${source.login}";

/** Throws E0000001 when the template cannot be evaluated; call it when an app is saved. */
export function validateUsernameTemplate(template: string): void {
  compile(template);
}

/** The app username a template yields for an Okta user's profile (null when it yields nothing). */
export function renderUsername(template: string, source: Source): string | null {
  const parts = compile(template);
  const value = parts.map((part) => (typeof part === "string" ? part : evaluate(part, source))).join("");
  return value === "" ? null : value;
}

/** A template as literal text and expressions, in order (for callers that evaluate it elsewhere, in SQL). */
export function templateParts(template: string): (string | TemplateExpr)[] {
  return compile(template);
}

type Expr = TemplateExpr;

function compile(template: string): (string | Expr)[] {
  const parts: (string | Expr)[] = [];
  let rest = template;
  while (rest.length > 0) {
    const start = rest.indexOf("${");
    if (start < 0) {
      parts.push(rest);
      break;
    }
    if (start > 0) parts.push(rest.slice(0, start));
    const parser = new ExprParser(rest.slice(start + 2));
    const expr = parser.expression();
    parser.expect("}");
    parts.push(expr);
    rest = parser.remaining();
  }
  return parts;
}

function evaluate(expr: Expr, source: Source): string {
  switch (expr.kind) {
    case "lit":
      return expr.value;
    case "attr": {
      const value = source[expr.name];
      return value === undefined || value === null ? "" : String(value);
    }
    case "fn":
      return FUNCTIONS[expr.name].apply(expr.args.map((arg) => evaluate(arg, source)));
  }
}

class ExprParser {
  #pos = 0;
  constructor(readonly text: string) {}

  remaining(): string {
    return this.text.slice(this.#pos);
  }

  expression(): Expr {
    this.#skipSpace();
    if (this.text[this.#pos] === '"') return this.#literal();
    const word = this.#word();
    if (word.startsWith("source.") && word.length > "source.".length) {
      return { kind: "attr", name: word.slice("source.".length) };
    }
    if (word.startsWith("fn:")) {
      const name = word.slice(3);
      const fn = FUNCTIONS[name];
      if (!fn) throw invalid(`unknown function fn:${name}`);
      this.expect("(");
      const args: Expr[] = [this.expression()];
      while (this.#peek() === ",") {
        this.#pos++;
        args.push(this.expression());
      }
      this.expect(")");
      if (args.length !== fn.arity) throw invalid(`fn:${name} takes ${fn.arity} argument(s)`);
      return { kind: "fn", name, args };
    }
    throw invalid(`unsupported expression "${word}"`);
  }

  expect(ch: string): void {
    if (this.#peek() !== ch) throw invalid(`expected "${ch}"`);
    this.#pos++;
  }

  #peek(): string | undefined {
    this.#skipSpace();
    return this.text[this.#pos];
  }

  #skipSpace(): void {
    while (this.text[this.#pos] === " ") this.#pos++;
  }

  #word(): string {
    const match = /^[A-Za-z0-9_.:]+/.exec(this.text.slice(this.#pos));
    if (!match) throw invalid("expected an attribute or function");
    this.#pos += match[0].length;
    return match[0];
  }

  #literal(): Expr {
    const end = this.text.indexOf('"', this.#pos + 1);
    if (end < 0) throw invalid("unterminated string");
    const value = this.text.slice(this.#pos + 1, end);
    this.#pos = end + 1;
    return { kind: "lit", value };
  }
}

function invalid(reason: string): DomainError {
  return DomainError.validation("credentials.userNameTemplate.template", `userNameTemplate: ${reason}`);
}
