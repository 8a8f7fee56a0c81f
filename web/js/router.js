// Paths under the page's <base>: the same code serves at "/" (CloudFront) and "/web/" (the local cloud).

let onNavigate = () => {};

export function setRouter(handler) {
  onNavigate = handler;
}

export function basePath() {
  return new URL(document.baseURI).pathname;
}

/** The app-relative path of the current location ("" for home). */
export function currentPath() {
  const base = basePath();
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  return path.replace(/^\/+|\/+$/g, "");
}

export function href(path) {
  return basePath() + String(path).replace(/^\/+/, "");
}

export function navigate(path, { replace = false } = {}) {
  const url = href(path);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  onNavigate();
}

/** Sends the user to sign in, then back to where they were (their typing is kept by the drafts). */
export function requireSignIn() {
  const next = currentPath() + location.search;
  navigate(`signin?next=${encodeURIComponent(next)}`, { replace: true });
}
