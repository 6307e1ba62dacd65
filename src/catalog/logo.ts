import { findTemplate } from "./catalog";

// App logos (Okta's `_links.logo`, AssignedAppLink.logoUrl): a catalog template's initials on its
// colour, and one generic logo for custom apps. Drawn as SVG, so no image files are shipped.

const GENERIC = { initials: "◆", color: "#4C566A" };

/** Where an app's logo is served: by its template's name, else the generic one. */
export function logoPath(appName: string): string {
  return `/logos/${findTemplate(appName) ? appName : "app"}.svg`;
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The SVG for a logo key (a template name, or "app"); undefined for anything else. */
export function logoSvg(key: string): string | undefined {
  const logo = key === "app" ? GENERIC : findTemplate(key)?.logo;
  if (!logo) return undefined;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96" role="img"><rect width="96" height="96" rx="18" fill="${escape(logo.color)}"/><text x="48" y="60" font-family="system-ui, sans-serif" font-size="36" font-weight="700" fill="#fff" text-anchor="middle">${escape(logo.initials)}</text></svg>`;
}
