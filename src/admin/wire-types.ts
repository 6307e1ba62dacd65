// The parts of provisio's (Okta's) JSON that the console reads. The API is the source of truth;
// these are just the fields the pages show.

export interface ApiApp {
  id: string;
  credentials?: { scheme?: string };
  name: string;
  label: string;
  status: string;
  signOnMode: string;
  features?: string[];
}

export interface ApiUser {
  id: string;
  status: string;
  profile: { login: string; email?: string; firstName?: string | null; lastName?: string | null; displayName?: string | null };
}

export interface ApiGroup {
  id: string;
  profile: { name: string; description?: string | null };
}

export interface ApiAppUser {
  id: string;
  externalId?: string;
  scope: "USER" | "GROUP";
  status: string;
  syncState: string;
  credentials: { userName?: string };
  profile: Record<string, unknown>;
  _embedded?: { user: ApiUser };
}

export interface ApiAppGroup {
  id: string;
  priority: number;
  profile: Record<string, unknown>;
  _embedded?: { group: ApiGroup };
}

export interface ApiSchemaProperty {
  title?: string;
  type?: string;
  description?: string;
  scope?: string;
  items?: { type?: string };
}

export interface ApiAppUserSchema {
  definitions: {
    base: { properties: Record<string, ApiSchemaProperty> };
    custom: { properties: Record<string, ApiSchemaProperty> };
  };
}

export interface ApiPendingPassword {
  userId: string;
  status: "WAITING_FOR_SIGN_IN" | "DELIVERING" | "DELIVERY_FAILED";
  summary: string;
}

export interface ApiConnection {
  authScheme: "TOKEN" | "BASIC" | "HEADER";
  status: "ENABLED" | "DISABLED";
  baseUrl: string;
  profile: { authScheme: string; username?: string };
  pacing: { requestsPerSecond: number };
}

type Toggle = { status: "ENABLED" | "DISABLED" };
export interface ApiUserProvisioning {
  status: string;
  capabilities: {
    create: { lifecycleCreate: Toggle };
    update: {
      profile: Toggle;
      lifecycleDeactivate: Toggle;
      password: Toggle & { seed: "OKTA" | "RANDOM"; change: "CHANGE" | "KEEP_EXISTING" };
      excludeUsernameUpdates: Toggle;
    };
  };
}

export interface ApiInbound {
  capabilities: {
    importSettings: {
      username: { usernameFormat: "EMAIL" | "CUSTOM"; userNameExpression?: string };
      schedule: {
        status: "ENABLED" | "DISABLED";
        fullImport?: { expression: string; timezone: string };
        incrementalImport?: { expression: string; timezone: string };
      };
    };
    importRules: {
      userCreateAndMatch: {
        exactMatchCriteria: "EMAIL" | "USERNAME";
        allowPartialMatch: boolean;
        autoConfirmPartialMatch: boolean;
        autoConfirmExactMatch: boolean;
        autoConfirmNewUsers: boolean;
        autoActivateNewUsers: boolean;
      };
    };
    profileSourcing: {
      status: "ENABLED" | "DISABLED";
      onDeactivated: "DO_NOTHING" | "DEACTIVATE" | "SUSPEND";
      reactivateSuspended: boolean;
      reactivateDeactivated: boolean;
    };
  };
}

export interface ApiSafeguards {
  app: { enabled: boolean; percent: number };
  org: { enabled: boolean; percent: number };
}

export interface ApiTask {
  id: string;
  type: string;
  userId?: string;
  mappingId?: string;
  status: string;
  attempts: number;
  lastError: string | null;
  lastStatus: number | null;
  lastUpdated: string;
}

export interface ApiImportSession {
  id: string;
  type: string;
  trigger: string;
  dryRun: boolean;
  status: "RUNNING" | "PAUSED_SAFEGUARD" | "AWAITING_CONFIRMATION" | "COMPLETED" | "CANCELLED" | "FAILED";
  phase: string;
  counters: Record<string, number | null | undefined>;
  progress: { phase: string; done: number | null; total: number | null; ratePerSecond: number | null; etaSeconds: number | null };
  safeguard: { level?: string; removals?: number; limit?: number; percent?: number; base?: number } | null;
  error: string | null;
  created: string;
  completed: string | null;
}

export interface ApiImportItem {
  id: string;
  externalId: string;
  userName: string;
  result: string | null;
  decision: string;
  matchedUserId: string | null;
  detail: string | null;
  profile: Record<string, unknown>;
}

export interface ApiRoadblock {
  appId: string;
  sessionId: string;
  level: "APP" | "ORG";
  removals: number;
  limit: number;
  percent: number;
  raised: string;
  queued?: { appId: string; sessionId: string }[];
}

export interface ApiPushMapping {
  id: string;
  sourceGroupId: string;
  targetGroupId?: string;
  status: string;
  errorSummary?: string;
  lastPush?: string;
}

export interface ApiBreaker {
  state: "CLOSED" | "OPEN" | "HALF_OPEN";
  operations: number;
  failures: number;
  failureRate: number;
  openedAt: string | null;
  nextProbeAt: string | null;
}

export interface ApiHold {
  id: string;
  status: string;
  deactivations: number;
  reason: string;
  created: string;
}

type Offered = {
  toApp: { create: boolean; profile: boolean; deactivate: boolean; password: boolean };
  toOkta: boolean;
  groupPush: boolean;
  authSchemes: ("TOKEN" | "BASIC" | "HEADER")[];
};

export interface ApiCatalogEntry {
  name: string;
  displayName: string;
  description: string;
  categories: string[];
  website: string;
  signOnModes: string[];
  settings: Record<string, { title: string; description?: string; required: boolean; example?: string }>;
  provisioning: (Omit<Offered, "authSchemes"> & { authSchemes: Offered["authSchemes"]; scimBaseUrl: string | null }) | null;
  _links: { logo: { href: string }[] };
}

export interface ApiIntegration {
  catalog: { name: string; version: string; displayName: string } | null;
  clonedFrom: string | null;
  offered: Offered;
  provisioningDraft: { baseUrl: string | null; authScheme: "TOKEN" | "BASIC" | "HEADER" | null } | null;
}
