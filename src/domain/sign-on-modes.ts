/** Okta's ApplicationSignOnMode values that provisio accepts. */
export const SIGN_ON_MODES = [
  "AUTO_LOGIN",
  "BASIC_AUTH",
  "BOOKMARK",
  "BROWSER_PLUGIN",
  "OPENID_CONNECT",
  "SAML_1_1",
  "SAML_2_0",
  "SECURE_PASSWORD_STORE",
  "WS_FEDERATION",
] as const;
export type SignOnMode = (typeof SIGN_ON_MODES)[number];
