// Pages of a list in the URL: `?page=N&token=…` says which page this is and how the API resumes it; the tokens
// of the pages already seen are kept per list in sessionStorage, so "Newer" goes back without a page-number API.

const KEY = "svideo.pages";

/** `list` names the list (e.g. a query, a channel); returns the page shown by `query` and how to move from it. */
export function pagesOf(list, query) {
  const number = Math.max(1, Number.parseInt(query.get("page") || "1", 10) || 1);
  const token = number > 1 ? query.get("token") : null;
  let saved = {};
  try {
    saved = JSON.parse(sessionStorage.getItem(KEY) || "{}");
  } catch {
    saved = {};
  }
  const tokens = (saved.list === list && Array.isArray(saved.tokens) ? saved.tokens : [null]).slice(0, number);
  tokens[number - 1] = token;
  return {
    number,
    token,
    /** Remember where the next page starts. */
    seen(nextToken) {
      if (nextToken) tokens[number] = nextToken;
      sessionStorage.setItem(KEY, JSON.stringify({ list, tokens }));
    },
    /** The query string of page `target` (1 has none), or null when its token is unknown. */
    search(target, params = {}) {
      const query = new URLSearchParams(params);
      if (target > 1) {
        if (!tokens[target - 1]) return null;
        query.set("page", String(target));
        query.set("token", tokens[target - 1]);
      }
      const text = query.toString();
      return text ? `?${text}` : "";
    },
  };
}
