import { unless, type AdminApi } from "../api-client";
import { ActionForm, AppHeader, Page, userDisplayName } from "../components";
import { seg } from "../context";
import type { ApiApp, ApiAppGroup, ApiAppUser, ApiAppUserSchema, ApiGroup, ApiUser } from "../wire-types";

// The "Assign to People" picker marks who already has the app, directly or through a group,
// and says what assigning them again changes before it does it. Everything comes from the API:
// the app user (its scope), and for the granting group the user's groups against the app's
// group assignments in priority order (the first one is the group whose profile applies).

type GrantingGroup = { id: string; name: string; profile: Record<string, unknown> };

export type Standing =
  | { kind: "none" }
  | { kind: "direct"; appUser: ApiAppUser; alsoBy: GrantingGroup | undefined }
  | { kind: "group"; appUser: ApiAppUser; by: GrantingGroup | undefined };

/** The app's group assignments, highest priority first (the console shows at most 200). */
export function appGroupsByPriority(api: AdminApi, appId: string): Promise<ApiAppGroup[]> {
  return api.get<ApiAppGroup[]>(`/api/v1/apps/${seg(appId)}/groups?expand=group&limit=200`);
}

/** Where a user stands with the app: not assigned, assigned directly, or by which group. */
export async function standingOf(api: AdminApi, appId: string, userId: string, appGroups: ApiAppGroup[]): Promise<Standing> {
  const appUser = await unless(404, api.get<ApiAppUser>(`/api/v1/apps/${seg(appId)}/users/${seg(userId)}`));
  if (!appUser) return { kind: "none" };
  const granting = appGroups.length === 0 ? undefined : await grantingGroup(api, userId, appGroups);
  return appUser.scope === "USER" ? { kind: "direct", appUser, alsoBy: granting } : { kind: "group", appUser, by: granting };
}

async function grantingGroup(api: AdminApi, userId: string, appGroups: ApiAppGroup[]): Promise<GrantingGroup | undefined> {
  const mine = new Set((await api.get<ApiGroup[]>(`/api/v1/users/${seg(userId)}/groups`)).map((group) => group.id));
  const top = appGroups.find((assignment) => mine.has(assignment.id));
  return top && { id: top.id, name: top._embedded?.group.profile.name ?? top.id, profile: top.profile };
}

export async function standingsOf(api: AdminApi, appId: string, users: ApiUser[]): Promise<Map<string, Standing>> {
  const appGroups = await appGroupsByPriority(api, appId);
  const standings = await Promise.all(users.map((user) => standingOf(api, appId, user.id, appGroups)));
  return new Map(users.map((user, i) => [user.id, standings[i]]));
}

const groupName = (group: GrantingGroup | undefined) => (group ? `group ${group.name}` : "a group");

/** The mark the picker shows next to a person. */
export function standingMark(standing: Standing): string {
  switch (standing.kind) {
    case "none":
      return "Not assigned";
    case "direct":
      return standing.alsoBy ? `✓ Assigned directly (and by ${groupName(standing.alsoBy)})` : "✓ Assigned directly";
    case "group":
      return `✓ Assigned by ${groupName(standing.by)}`;
  }
}

/**
 * What assigning the person directly would change, in sentences. Only the scope can change: the
 * picker sends no profile or credentials, so a direct assignment stays exactly as it is.
 */
export function whatAssigningChanges(standing: Standing, name: string, app: ApiApp, personal: ReadonlySet<string>): string[] {
  switch (standing.kind) {
    case "none":
      return [`${name} gets ${app.label} as a direct (USER-scoped) assignment.`];
    case "direct":
      return [
        `${name} is already assigned directly: assigning again changes nothing (the picker sends no profile, so the app profile stays as it is).`,
        ...(standing.alsoBy ? [`${standing.alsoBy.name} grants the app too; that does not change either.`] : []),
      ];
    case "group": {
      const by = standing.by;
      const values = Object.keys(by?.profile ?? {}).filter((attribute) => !personal.has(attribute));
      return [
        `${name} is assigned by ${groupName(by)}: assigning directly makes the assignment USER-scoped (Administrator overrides group).`,
        `${name} then keeps ${app.label} if ${by ? by.name : "the group"} is unassigned from it or ${name} leaves ${by ? by.name : "it"}.`,
        values.length > 0
          ? `${by!.name}'s values for ${values.join(", ")} stop applying: those attributes follow their mappings instead (values set for ${name} personally stay).`
          : `${by ? by.name : "The group"} sets no profile values, so the app profile stays as it is.`,
      ];
    }
  }
}

/** After the assignment: what did change, judged from the app user before and after. */
export function assignedMessage(before: Standing, after: ApiAppUser, name: string): string {
  if (before.kind === "none") return `Assigned ${after.credentials.userName ?? after.id}.`;
  if (before.kind === "group" && after.scope === "USER") {
    const still = before.by ? ` ${before.by.name} still grants the app too.` : "";
    return `${name} is now assigned directly (USER scope; Administrator overrides group).${still}`;
  }
  return JSON.stringify(before.appUser.profile) === JSON.stringify(after.profile) && before.appUser.scope === after.scope
    ? `Nothing changed: ${name} was already assigned directly.`
    : `${name}'s assignment was updated.`;
}

/** Attributes a group assignment cannot set (scope SELF), so they never come from a group. */
export async function personalAttributes(api: AdminApi, appId: string): Promise<Set<string>> {
  const schema = await api.get<ApiAppUserSchema>(`/api/v1/meta/schemas/apps/${seg(appId)}/default`);
  return new Set(
    Object.entries(schema.definitions.custom.properties)
      .filter(([, property]) => property.scope === "SELF")
      .map(([attribute]) => attribute),
  );
}

export function ConfirmAssignPage(props: { app: ApiApp; user: ApiUser; standing: Standing; changes: string[]; csrf: string; q: string }) {
  const { app, user, standing, csrf, q } = props;
  const name = userDisplayName(user);
  const base = `/admin/apps/${encodeURIComponent(app.id)}`;
  const question = standing.kind === "group" ? `Assign ${name} to ${app.label} directly?` : `Assign ${name} to ${app.label} again?`;
  return (
    <Page title={question} csrf={csrf}>
      <AppHeader app={app} active="assignments" />
      <h2>{question}</h2>
      <p class="muted">{standingMark(standing)}</p>
      <ul id="assign-changes">
        {props.changes.map((line) => (
          <li>{line}</li>
        ))}
      </ul>
      <ActionForm action={`${base}/assign/people`} csrf={csrf}>
        <input type="hidden" name="userId" value={user.id} />
        <input type="hidden" name="q" value={q} />
        <input type="hidden" name="confirmed" value="yes" />
        <div class="toolbar">
          <button type="submit" class="primary">
            {standing.kind === "group" ? "Assign directly" : "Assign again"}
          </button>
          <a href={`${base}/assign?${new URLSearchParams({ kind: "people", q })}`}>Cancel</a>
        </div>
      </ActionForm>
    </Page>
  );
}
