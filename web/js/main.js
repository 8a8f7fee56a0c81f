// The app shell: a History-API router under the page's <base>, the navigation, and session-expiry handling.

import { SESSION_EXPIRED } from "./api.js";
import { hasGroup, onChange, session, signOut } from "./auth.js";
import { onStatus } from "./live.js";
import { currentPath, href, navigate, requireSignIn, setRouter } from "./router.js";
import { h, notice, render } from "./ui.js";
import { homeView } from "./views/home.js";
import { pluginsView, pluginView, registerPluginView } from "./views/plugins.js";
import { signInView, signUpView } from "./views/signin.js";
import { channelSetupView, studioView } from "./views/studio.js";
import { manageVideoView } from "./views/manage.js";
import { liveView, watchView } from "./views/watch.js";
import { searchView } from "./views/search.js";
import { channelView } from "./views/channel.js";
import { adminUsersView } from "./views/admin.js";

const ROUTES = [
  [/^$/, homeView],
  [/^watch\/([^/]+)$/, watchView],
  [/^live\/([^/]+)$/, liveView],
  [/^channels\/([^/]+)$/, channelView],
  [/^search$/, searchView],
  [/^signin$/, signInView],
  [/^signup$/, signUpView],
  [/^studio$/, studioView, "broadcaster"],
  [/^studio\/channels\/([^/]+)$/, channelSetupView, "broadcaster"],
  [/^studio\/videos\/([^/]+)$/, manageVideoView, "broadcaster"],
  [/^plugins$/, pluginsView, "plugin-developer"],
  [/^plugins\/new$/, registerPluginView, "plugin-developer"],
  [/^plugins\/([^/]+)$/, pluginView, "plugin-developer"],
  [/^admin\/users$/, adminUsersView, "admin"],
];

let cleanup = null;

async function route() {
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  const path = currentPath();
  const query = new URLSearchParams(location.search);
  renderNav();
  for (const [pattern, view, group] of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    if (group && !session()) {
      requireSignIn();
      return;
    }
    if (group && !hasGroup(group)) {
      render("Not allowed", h("h1", {}, "This page is not for your account"),
        notice(`You need the ${group} role to use this page. `
          + (group === "broadcaster"
            ? "Accounts with an email address of this site's broadcaster domains get it when they sign up; "
              + "for any other account an administrator grants it (on the Users page, or with svideo users grant broadcaster <email>)."
            : "An administrator can grant it (on the Users page, or with svideo users grant <role> <email>)."), { kind: "error" }));
      return;
    }
    try {
      cleanup = await view(...match.slice(1).map(decodeURIComponent), query);
    } catch (error) {
      console.warn(error);
      render("Error", h("h1", {}, "Something went wrong"), notice(error.message || String(error), { kind: "error" }));
    }
    return;
  }
  render("Not found", h("h1", {}, "Page not found"),
    notice("There is no page at this address.", { action: h("a.button", { href: href(""), "data-link": true }, "Go home") }));
}

function renderNav() {
  const nav = document.getElementById("nav");
  const current = session();
  const path = currentPath();
  const link = (to, text) => h("li", {}, h("a", {
    href: href(to), "data-link": true, "aria-current": (to === "" ? path === "" : path.startsWith(to)) ? "page" : null,
  }, text));
  nav.replaceChildren(...[
    link("", "Watch"),
    link("search", "Search"),
    hasGroup("broadcaster") ? link("studio", "Studio") : null,
    hasGroup("plugin-developer") ? link("plugins", "Plugins") : null,
    hasGroup("admin") ? link("admin/users", "Users") : null,
    current
      ? h("li", {}, h("button.linklike", {
        type: "button",
        onclick: () => {
          signOut();
          navigate("");
        },
      }, `Sign out${current.email ? ` (${current.email})` : ""}`))
      : link("signin", "Sign in"),
  ].filter(Boolean));
}

document.addEventListener("click", (event) => {
  const anchor = event.target.closest("a[data-link]");
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(anchor.href);
  if (url.origin !== location.origin) return;
  event.preventDefault();
  history.pushState(null, "", url.pathname + url.search);
  route();
});

window.addEventListener("popstate", route);
window.addEventListener(SESSION_EXPIRED, () => {
  if (!currentPath().startsWith("signin")) requireSignIn();
});
onChange(renderNav);
onStatus((state) => {
  const box = document.getElementById("live-status");
  box.textContent = state === "reconnecting" ? "Live updates paused: reconnecting…" : "";
  box.hidden = state !== "reconnecting";
});

setRouter(route);
route();
