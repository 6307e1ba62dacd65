import { notScimFailure, type FailureKind } from "./downstream-failure";
import type { ScimClient, ScimOutcome } from "./scim-client";

/** One step of Test API Credentials, as the API answers it and the System Log records it. */
export interface CredentialCheck {
  name: "ServiceProviderConfig" | "ListUsers";
  status: "SUCCESS" | "FAILURE";
  /** The downstream's HTTP status; null when it did not answer. */
  httpStatus: number | null;
  /** Why it failed (absent on success). */
  classification?: FailureKind;
  /** What was found, or why it failed: never the downstream's body, at most its SCIM error detail, redacted. */
  detail: string;
}

export interface CredentialTestResult {
  status: "SUCCESS" | "FAILURE";
  checks: CredentialCheck[];
  errorSummary: string | null;
}

const SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

type Json = Record<string, unknown>;

const declares = (body: Json, schema: string) => Array.isArray(body.schemas) && body.schemas.includes(schema);

function failed(name: CredentialCheck["name"], outcome: Extract<ScimOutcome, { ok: false }>): CredentialCheck {
  return { name, status: "FAILURE", httpStatus: outcome.status, classification: outcome.kind, detail: outcome.reason };
}

function notScim(name: CredentialCheck["name"], status: number, what: string): CredentialCheck {
  const failure = notScimFailure(status, what);
  return { name, status: "FAILURE", httpStatus: status, classification: failure.kind, detail: failure.reason };
}

/**
 * Test API Credentials: the downstream must answer its ServiceProviderConfig as SCIM, then list
 * one user with the stored credentials (many apps serve ServiceProviderConfig without
 * authentication, so only the second call proves the credentials).
 */
export async function checkCredentials(scim: ScimClient): Promise<CredentialTestResult> {
  const checks: CredentialCheck[] = [];
  const spc = await scim.serviceProviderConfig();
  if (!spc.ok) checks.push(failed("ServiceProviderConfig", spc));
  else if (!declares(spc.body, SPC_SCHEMA) && typeof spc.body.patch !== "object")
    checks.push(notScim("ServiceProviderConfig", spc.status, "no ServiceProviderConfig resource"));
  else
    checks.push({
      name: "ServiceProviderConfig",
      status: "SUCCESS",
      httpStatus: spc.status,
      detail: `PATCH ${spc.body.patch?.supported ? "supported" : "not supported"}`,
    });
  if (checks[0].status === "SUCCESS") {
    const users = await scim.request<{ totalResults?: unknown; schemas?: unknown }>("GET", "/Users?count=1");
    if (!users.ok) checks.push(failed("ListUsers", users));
    else if (!declares(users.body, LIST_SCHEMA) && typeof users.body.totalResults !== "number")
      checks.push(notScim("ListUsers", users.status, "no SCIM ListResponse"));
    else
      checks.push({
        name: "ListUsers",
        status: "SUCCESS",
        httpStatus: users.status,
        detail: `${typeof users.body.totalResults === "number" ? users.body.totalResults : 0} users visible`,
      });
  }
  const failure = checks.find((check) => check.status === "FAILURE");
  return { status: failure ? "FAILURE" : "SUCCESS", checks, errorSummary: failure ? `${failure.name}: ${failure.detail}` : null };
}
