// The console's only stylesheet and script, served by the Worker from /admin/assets so the
// Content-Security-Policy can forbid inline code. The script is an enhancement: every page
// works without it (forms post and redirect); it adds live import progress and select-all.

export const ADMIN_CSS = `
:root { --fg: #1d1d1f; --muted: #5c5c66; --line: #d4d4dc; --bg: #fff; --accent: #1f4fd1; --bad: #a4161a; --warn: #7a4b00; --good: #1b6b32; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
header.top { display: flex; align-items: center; gap: 16px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: #f6f6f9; }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
header.top .session-actions { margin-left: auto; display: flex; gap: 8px; }
main { padding: 16px 20px 40px; max-width: 1200px; }
h1 { font-size: 1.5rem; margin: 0.2em 0 0.6em; } h2 { font-size: 1.15rem; margin: 1.4em 0 0.5em; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: #fafafc; }
nav.tabs ul { list-style: none; display: flex; gap: 4px; padding: 0; margin: 0 0 12px; border-bottom: 1px solid var(--line); }
nav.tabs a { display: block; padding: 8px 14px; text-decoration: none; border: 1px solid transparent; border-bottom: none; }
nav.tabs a[aria-current="page"] { border-color: var(--line); background: #fff; font-weight: 600; margin-bottom: -1px; border-bottom: 1px solid #fff; }
.banner { border: 2px solid; padding: 10px 14px; margin: 10px 0; border-radius: 4px; }
.banner.error { border-color: var(--bad); } .banner.ok { border-color: var(--good); } .banner.warn { border-color: var(--warn); background: #fff8e6; }
.banner > strong:first-child { display: block; }
.status { font-size: 0.85rem; padding: 1px 6px; border: 1px solid var(--line); border-radius: 10px; white-space: nowrap; }
.warn-text { color: var(--warn); font-weight: 600; } .bad-text { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
.toolbar a[aria-current="page"], .toolbar a[aria-current="page"]:visited { font-weight: 700; text-decoration: none; color: var(--fg); }
.inline { display: inline; margin: 0; }
.toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
button, .button { font: inherit; padding: 5px 12px; border: 1px solid #9a9aa6; border-radius: 4px; background: #fff; cursor: pointer; color: var(--fg); text-decoration: none; display: inline-block; }
button.primary, .button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { border-color: var(--bad); color: var(--bad); }
button.icon { padding: 2px 8px; }
fieldset { border: 1px solid var(--line); margin: 12px 0; padding: 10px 14px; }
legend { font-weight: 600; padding: 0 4px; }
label { display: block; margin: 6px 0 2px; font-weight: 500; }
label.check { display: flex; gap: 6px; align-items: center; font-weight: 400; }
input[type=text], input[type=url], input[type=password], input[type=number], input[type=search], select { font: inherit; padding: 4px 6px; border: 1px solid #9a9aa6; border-radius: 3px; min-width: 260px; }
.hint { font-size: 0.85rem; color: var(--muted); margin: 2px 0 6px; }
dl.counts { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 6px 16px; margin: 8px 0; }
dl.counts dt { font-size: 0.8rem; color: var(--muted); } dl.counts dd { margin: 0; font-size: 1.2rem; font-variant-numeric: tabular-nums; }
progress { width: 320px; height: 14px; }
ul.catalog { list-style: none; padding: 0; }
li.catalog-entry { display: grid; grid-template-columns: 48px 1fr auto; gap: 14px; align-items: start; padding: 12px 0; border-bottom: 1px solid var(--line); }
li.catalog-entry h2 { margin: 0 0 4px; font-size: 1.05rem; } li.catalog-entry p { margin: 2px 0; }
textarea { font: inherit; padding: 4px 6px; border: 1px solid #9a9aa6; border-radius: 3px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

export const ADMIN_JS = `
// Live import progress: a region with data-poll-url is refreshed from that URL every second.
// When the fragment says the session left RUNNING, the page reloads to show the plan or banner.
for (const region of document.querySelectorAll("[data-poll-url]")) {
  const url = region.getAttribute("data-poll-url");
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      // Signed out meanwhile: the reload shows the sign-in page. Any other failure is retried.
      if (response.redirected) { location.reload(); return; }
      if (!response.ok) throw new Error("progress " + response.status);
      const html = await response.text();
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const next = holder.firstElementChild;
      if (next && next.getAttribute("data-state") !== "RUNNING") { location.reload(); return; }
      if (next) region.replaceChildren(...next.childNodes);
    } catch (error) { /* a missed tick is retried on the next one */ }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}

// "Select all" checkboxes: data-select-all="name" toggles every checkbox with that name.
for (const box of document.querySelectorAll("input[data-select-all]")) {
  box.addEventListener("change", () => {
    for (const item of document.querySelectorAll('input[type=checkbox][name="' + box.getAttribute("data-select-all") + '"]')) item.checked = box.checked;
  });
}

`;
