import type { DB } from "../db/client";
import { activeAssignmentsOf, getLinkOrder, saveLinkOrder } from "../db/queries/app-links";
import { autoLaunches, credentialsSetUp, hiddenOnWeb, inUserOrder, launchPath, linkShown, moved } from "../my-apps/links";
import { logoPath } from "../catalog/logo";

/** Okta's AssignedAppLink. */
export interface AssignedAppLink {
  id: string;
  label: string;
  linkUrl: string;
  logoUrl: string;
  appName: string;
  appInstanceId: string;
  appAssignmentId: string;
  credentialsSetup: boolean;
  hidden: boolean;
  sortOrder: number;
}

export interface UserAppLink {
  link: AssignedAppLink;
  /** visibility.autoLaunch: My Apps opens it at sign-in. */
  autoLaunch: boolean;
}

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * An app user has no id of its own (it is keyed by app and user), so its Okta-shaped assignment
 * id ("0ua" + 17) is derived from both: the same assignment always shows the same id.
 */
async function assignmentId(appId: string, userId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${appId}:${userId}`)));
  let out = "0ua";
  for (let i = 0; out.length < 20; i++) out += ALPHABET[digest[i] % 62];
  return out;
}

/**
 * GET /users/{id}/appLinks: a link per ACTIVE app the user has (directly or through a group),
 * unless the app turned its link off; hidden ones are listed with `hidden: true`. In the user's
 * order, numbered by sortOrder.
 */
export async function appLinksOf(db: DB, userId: string, base: string): Promise<UserAppLink[]> {
  const [assignments, saved] = await Promise.all([activeAssignmentsOf(db, userId), getLinkOrder(db, userId)]);
  const ordered = inUserOrder(assignments.filter(linkShown), saved);
  return Promise.all(
    ordered.map(async (assignment, sortOrder) => ({
      autoLaunch: autoLaunches(assignment.visibility),
      link: {
        id: userId,
        label: assignment.label,
        linkUrl: `${base}${launchPath(assignment.name, assignment.appId)}`,
        logoUrl: `${base}${logoPath(assignment.name)}`,
        appName: assignment.name,
        appInstanceId: assignment.appId,
        appAssignmentId: await assignmentId(assignment.appId, userId),
        credentialsSetup: credentialsSetUp(assignment),
        hidden: hiddenOnWeb(assignment.visibility),
        sortOrder,
      },
    })),
  );
}

/** Moves one tile a place earlier or later in the user's order (what My Apps' arrows do). */
export async function moveAppLink(db: DB, userId: string, appId: string, direction: "earlier" | "later"): Promise<void> {
  // Hidden links are not on the page, so they take no part in its order.
  const links = (await appLinksOf(db, userId, "")).filter(({ link }) => !link.hidden);
  const order = links.map(({ link }) => link.appInstanceId);
  if (!order.includes(appId)) return;
  await saveLinkOrder(db, userId, moved(order, appId, direction), new Date());
}
