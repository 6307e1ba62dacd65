import { z } from "zod";
import { capabilitiesSchema } from "../provisioning/capabilities";
import { SIGN_ON_MODES } from "../domain/sign-on-modes";

// An integration template of the catalog (src/catalog/integrations.json): what an app made from
// it is (sign-on mode, URLs, the settings an instance accepts), which provisioning features it
// offers and with which defaults, and its app-user schema and mappings. Templates are data; the
// rules that turn one into an app instance are in instance.ts.

/** `{name}` placeholders in URL templates name instance settings (`settings.app.<name>`). */
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

const settingSchema = z.object({
  title: z.string().min(1).max(100),
  description: z.string().max(300).optional(),
  required: z.boolean().default(false),
  /** A whole-value regular expression (anchored when checked). */
  pattern: z.string().max(200).optional(),
  example: z.string().max(200).optional(),
});
export type TemplateSetting = z.infer<typeof settingSchema>;

export const AUTH_SCHEMES = ["TOKEN", "BASIC", "HEADER"] as const;
export type AuthScheme = (typeof AUTH_SCHEMES)[number];

/** The provisioning features a template offers: an instance can turn on only these. */
export const offeredSchema = z.object({
  toApp: z.object({ create: z.boolean(), profile: z.boolean(), deactivate: z.boolean(), password: z.boolean() }),
  toOkta: z.boolean(),
  groupPush: z.boolean(),
  authSchemes: z.array(z.enum(AUTH_SCHEMES)).min(1),
});
export type OfferedFeatures = z.infer<typeof offeredSchema>;

/** Custom apps (and clones of them) offer everything provisio can do. */
export const EVERYTHING_OFFERED: OfferedFeatures = {
  toApp: { create: true, profile: true, deactivate: true, password: true },
  toOkta: true,
  groupPush: true,
  authSchemes: ["TOKEN", "BASIC", "HEADER"],
};

const attributeSchema = z
  .object({
    title: z.string().min(1),
    type: z.enum(["string", "boolean", "number", "integer", "array"]),
    externalName: z.string().min(1).optional(),
    externalNamespace: z.string().min(1).optional(),
  })
  .catchall(z.unknown());

export const templateSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, "lower-case letters, digits and _"),
    displayName: z.string().min(1).max(100),
    description: z.string().min(1).max(500),
    categories: z.array(z.string().min(1).max(40)).min(1),
    website: z.url(),
    logo: z.object({ initials: z.string().min(1).max(3), color: z.string().regex(/^#[0-9a-fA-F]{6}$/) }),
    signOnModes: z.array(z.enum(SIGN_ON_MODES)).min(1),
    /** Instance settings (`settings.app.<key>`): the attributes an instance accepts. */
    settings: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), settingSchema),
    /** Where the app's users sign in (the My Apps tile opens it). */
    baseUrl: z.string().min(1),
    /** `settings.signOn` per sign-on mode, as templates. */
    signOn: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    provisioning: z
      .object({
        /** The SCIM connector base URL, as a template; null when each customer's differs (the admin enters it). */
        scimBaseUrl: z.string().min(1).nullable(),
        offered: offeredSchema,
        defaults: capabilitiesSchema,
        documentation: z.url().optional(),
      })
      .nullable(),
    appUserSchema: z.record(z.string(), attributeSchema).default({}),
    mappings: z.record(z.string(), z.object({ expression: z.string().min(1), pushStatus: z.enum(["PUSH", "DONT_PUSH"]) })).default({}),
  })
  .superRefine((template, ctx) => {
    const known = new Set(Object.keys(template.settings));
    const urls: [string, string][] = [["baseUrl", template.baseUrl]];
    if (template.provisioning?.scimBaseUrl) urls.push(["provisioning.scimBaseUrl", template.provisioning.scimBaseUrl]);
    for (const [mode, fields] of Object.entries(template.signOn)) {
      if (!(template.signOnModes as string[]).includes(mode))
        ctx.addIssue({ code: "custom", path: ["signOn", mode], message: "not one of signOnModes" });
      for (const [key, value] of Object.entries(fields)) urls.push([`signOn.${mode}.${key}`, value]);
    }
    for (const [path, value] of urls) {
      for (const [, name] of value.matchAll(PLACEHOLDER)) {
        if (!known.has(name)) ctx.addIssue({ code: "custom", path: path.split("."), message: `{${name}} is not a setting` });
        else if (!template.settings[name].pattern)
          ctx.addIssue({ code: "custom", path: path.split("."), message: `{${name}} must be a setting with a pattern` });
      }
    }
    for (const attribute of Object.keys(template.mappings)) {
      if (!(attribute in template.appUserSchema))
        ctx.addIssue({ code: "custom", path: ["mappings", attribute], message: "not an attribute of appUserSchema" });
    }
    const offered = template.provisioning?.offered.toApp;
    const defaults = template.provisioning?.defaults;
    if (offered && defaults) {
      const on = (toggle: { status: string }) => toggle.status === "ENABLED";
      const pairs: [string, boolean, boolean][] = [
        ["create", offered.create, on(defaults.create.lifecycleCreate)],
        ["profile", offered.profile, on(defaults.update.profile)],
        ["deactivate", offered.deactivate, on(defaults.update.lifecycleDeactivate)],
        ["password", offered.password, on(defaults.update.password)],
      ];
      for (const [name, isOffered, isOn] of pairs) {
        if (isOn && !isOffered)
          ctx.addIssue({ code: "custom", path: ["provisioning", "defaults"], message: `${name} is on but not offered` });
      }
    }
  });
export type IntegrationTemplate = z.infer<typeof templateSchema>;

export const catalogSchema = z
  .object({
    version: z.string().regex(/^\d{4}\.\d{2}\.\d+$/),
    templates: z.array(templateSchema).min(1),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.templates.forEach((template, i) => {
      if (seen.has(template.name)) ctx.addIssue({ code: "custom", path: ["templates", i, "name"], message: "duplicate name" });
      seen.add(template.name);
    });
  });
export type Catalog = z.infer<typeof catalogSchema>;

/**
 * Fills `{setting}` placeholders with an instance's settings, or gives undefined when one of them
 * has no value (an optional setting left out). Only settings with a pattern may appear in a
 * template (checked above) and values are checked against it first, so what goes into a URL is
 * what the pattern allows.
 */
export function fillTemplate(template: string, values: Record<string, string>): string | undefined {
  let complete = true;
  const filled = template.replace(PLACEHOLDER, (_, name: string) => {
    if (values[name] === undefined) complete = false;
    return values[name] ?? "";
  });
  return complete ? filled : undefined;
}
