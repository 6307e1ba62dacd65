import { exports } from "cloudflare:workers";
import { ORIGIN, TOKEN } from "./api";

export interface ConsolePage {
  status: number;
  headers: Headers;
  html: string;
  /** Where a 303 sent the browser, if it did. */
  location: string | null;
}

/**
 * A minimal browser for the admin console: keeps its cookies, follows nothing by itself, and
 * posts forms the way a browser does (urlencoded, with the page's Origin).
 */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  csrf = "";

  /** `headers` go with every request (a CF-Connecting-IP, say, so rate limits count this client apart). */
  constructor(
    readonly origin = ORIGIN,
    readonly headers: Record<string, string> = {},
  ) {}

  async request(
    method: string,
    path: string,
    form?: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<ConsolePage> {
    const init: RequestInit = { method, redirect: "manual", headers: { Origin: this.origin, ...this.headers, ...headers } };
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookie) (init.headers as Record<string, string>).Cookie = cookie;
    if (form) {
      const body = new URLSearchParams();
      for (const [key, value] of Object.entries(form)) for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
      init.body = body;
      (init.headers as Record<string, string>)["Content-Type"] = "application/x-www-form-urlencoded";
    }
    const response = await exports.default.fetch(new Request(`${this.origin}${path}`, init));
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      if (attributes.some((a) => /max-age=0/i.test(a.trim())) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const html = await response.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html);
    if (csrf) this.csrf = csrf[1];
    return { status: response.status, headers: response.headers, html, location: response.headers.get("Location") };
  }

  get(path: string) {
    return this.request("GET", path);
  }

  /** Posts a form with the session's CSRF token, then loads the page it redirects to. */
  async submit(path: string, form: Record<string, string | string[]> = {}): Promise<ConsolePage> {
    const posted = await this.request("POST", path, { _csrf: this.csrf, ...form });
    if (posted.status !== 303 || !posted.location) return posted;
    return this.get(new URL(posted.location, this.origin).pathname + new URL(posted.location, this.origin).search);
  }

  async signIn(token = TOKEN): Promise<ConsolePage> {
    return this.request("POST", "/admin/sign-in", { token });
  }

  /** Signs in to My Apps with an Okta login and password. */
  async signInToMyApps(login: string, password: string): Promise<ConsolePage> {
    return this.request("POST", "/my-apps/sign-in", { login, password });
  }
}

/** The text a person would read: tags removed, entities decoded, whitespace collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}
