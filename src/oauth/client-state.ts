import type { AppRow } from "../db/schema";
import { isOktaScope, type OktaScope } from "../domain/scopes";
import { storedClient, TOKEN_ENDPOINT_METHODS } from "./client-registration";

/** What decides whether an OAuth client's tokens are honoured: its app and the scopes granted to it now. */
export interface ClientState {
  app: AppRow;
  scopes: string[];
}

export type ClientRefusal = "unknown" | "revoked";
export type ClientVerdict = { ok: true; scopes: OktaScope[] } | { ok: false; reason: ClientRefusal };

/**
 * A client is honoured while its app exists, is an active OPENID_CONNECT app and still
 * authenticates with a method provisio accepts; its tokens then carry at most the scopes granted now.
 */
export function judgeClient(state: ClientState | undefined): ClientVerdict {
  if (!state || state.app.signOnMode !== "OPENID_CONNECT") return { ok: false, reason: "unknown" };
  if (state.app.status !== "ACTIVE") return { ok: false, reason: "revoked" };
  if (!TOKEN_ENDPOINT_METHODS.includes(storedClient(state.app.settings, state.app.credentials).authMethod)) {
    return { ok: false, reason: "revoked" };
  }
  return { ok: true, scopes: state.scopes.filter(isOktaScope) };
}
