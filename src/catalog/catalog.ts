import data from "./integrations.json";
import { catalogSchema, type Catalog, type IntegrationTemplate } from "./template";

// The catalog is parsed once per isolate. A template that does not match the schema fails here,
// at startup, and in test/unit/catalog.test.ts, never in the middle of a request.
const catalog: Catalog = catalogSchema.parse(data);
const byName = new Map(catalog.templates.map((template) => [template.name, template]));
const sorted = [...catalog.templates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export const CATALOG_VERSION = catalog.version;

export function findTemplate(name: string): IntegrationTemplate | undefined {
  return byName.get(name);
}

/**
 * Whether a template matches a search: every word of `q` starts a word of its display name, its
 * key name or one of its categories (case-insensitive), so "scim basic" finds "SCIM 2.0 Test
 * App (Basic Auth)" and "video" finds Zoom.
 */
export function matchesSearch(template: IntegrationTemplate, q: string): boolean {
  const words = `${template.displayName} ${template.name} ${template.categories.join(" ")}`.toLowerCase().split(/[^a-z0-9.+]+/);
  return q
    .toLowerCase()
    .split(/[^a-z0-9.+]+/)
    .filter(Boolean)
    .every((term) => words.some((word) => word.startsWith(term)));
}

/** One page of templates in name order, after `afterName`, plus one to tell whether more remain. */
export function searchCatalog(query: { q?: string; afterName?: string; limit: number }): IntegrationTemplate[] {
  const q = query.q?.trim();
  const out: IntegrationTemplate[] = [];
  for (const template of sorted) {
    if (query.afterName !== undefined && template.name <= query.afterName) continue;
    if (q && !matchesSearch(template, q)) continue;
    out.push(template);
    if (out.length > query.limit) break;
  }
  return out;
}
