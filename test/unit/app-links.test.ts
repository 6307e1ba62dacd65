import { describe, expect, it } from "vitest";
import { credentialsSetUp, hiddenOnWeb, inUserOrder, launchPath, launchTarget, linkShown, moved } from "../../src/my-apps/links";

const app = (appId: string) => ({ appId });

describe("app link rules", () => {
  it("orders the user's arranged apps first, the rest by assignment", () => {
    const links = [app("a"), app("b"), app("c"), app("d")];
    expect(inUserOrder(links, ["c", "a", "gone"]).map((l) => l.appId)).toEqual(["c", "a", "b", "d"]);
    expect(inUserOrder(links, []).map((l) => l.appId)).toEqual(["a", "b", "c", "d"]);
  });

  it("moves a tile one place, and not past either end", () => {
    expect(moved(["a", "b", "c"], "b", "earlier")).toEqual(["b", "a", "c"]);
    expect(moved(["a", "b", "c"], "b", "later")).toEqual(["a", "c", "b"]);
    expect(moved(["a", "b", "c"], "a", "earlier")).toEqual(["a", "b", "c"]);
    expect(moved(["a", "b", "c"], "c", "later")).toEqual(["a", "b", "c"]);
    expect(moved(["a", "b"], "x", "later")).toEqual(["a", "b"]);
  });

  it("reads visibility: appLinks.<name>_link false removes the link, hide.web hides it", () => {
    expect(linkShown({ name: "wiki", visibility: { appLinks: { wiki_link: false } } })).toBe(false);
    expect(linkShown({ name: "wiki", visibility: { appLinks: { other_link: false } } })).toBe(true);
    expect(hiddenOnWeb({ hide: { web: true } })).toBe(true);
    expect(hiddenOnWeb({ hide: { iOS: true } })).toBe(false);
  });

  it("says credentials are set up only for per-user password apps that have them", () => {
    const swa = { signOnMode: "AUTO_LOGIN", credentials: { scheme: "EDIT_USERNAME_AND_PASSWORD" }, userName: "ada" };
    expect(credentialsSetUp({ ...swa, hasPassword: "v1.sealed" })).toBe(true);
    expect(credentialsSetUp({ ...swa, hasPassword: null })).toBe(false);
    expect(credentialsSetUp({ signOnMode: "SAML_2_0", credentials: {}, userName: "ada", hasPassword: null })).toBe(false);
  });

  it("launches to the template's URL, the bookmark or login URL, and never to a non-http URL", () => {
    const none = { catalogName: null };
    expect(launchTarget({ ...none, signOnMode: "BOOKMARK", settings: { app: { url: "https://wiki.example.com/" } } })).toBe(
      "https://wiki.example.com/",
    );
    expect(launchTarget({ ...none, signOnMode: "AUTO_LOGIN", settings: { signOn: { loginUrl: "https://x.example.com/login" } } })).toBe(
      "https://x.example.com/login",
    );
    expect(launchTarget({ ...none, signOnMode: "BOOKMARK", settings: { app: { url: "javascript:alert(1)" } } })).toBeUndefined();
    expect(
      launchTarget({ ...none, signOnMode: "SAML_2_0", settings: { signOn: { ssoAcsUrl: "https://sp.example.com/acs" } } }),
    ).toBeUndefined();
    expect(launchTarget({ catalogName: "slack", signOnMode: "SAML_2_0", settings: { app: { domain: "acme" } } })).toBe(
      "https://acme.slack.com/",
    );
  });
});

describe("launch paths", () => {
  it("encode the app name, and survive a name with a lone surrogate", () => {
    expect(launchPath("bookmark", "0oa1")).toBe("/home/bookmark/0oa1/bookmark_link");
    expect(launchPath("a b/c", "0oa1")).toBe("/home/a%20b%2Fc/0oa1/a%20b%2Fc_link");
    expect(launchPath("x\ud800y", "0oa1")).toBe("/home/x%EF%BF%BDy/0oa1/x%EF%BF%BDy_link");
  });
});
