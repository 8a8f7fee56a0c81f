// Search: published videos by words of their title, description, tags and transcript. The query and the page
// live in the URL (`search?q=dough&page=2&token=…`), so a result page can be reloaded, shared and gone back to.

import { api, page } from "../api.js";
import { readVideo } from "../models.js";
import { pagesOf } from "../paging.js";
import { href, navigate } from "../router.js";
import { emptyState, field, h, notice, render, showErrors } from "../ui.js";
import { pager, videoCard } from "./home.js";

export function searchLink(q) {
  return `search?${new URLSearchParams({ q })}`;
}

export function searchForm(q = "") {
  const form = h("form.form.search-form", { role: "search", novalidate: true, "aria-label": "Video search" },
    field({
      name: "q", label: "Search videos", type: "search", value: q, required: true,
      hint: "Words from the title, description, tags or what is said in the video.",
      attrs: { maxlength: 200, autocomplete: "off" },
    }),
    h("button.button.primary", { type: "submit" }, "Search"));
  const input = form.querySelector("input");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const words = input.value.trim();
    if (!words) {
      showErrors(form, { message: "", fieldErrors: [{ location: "q", message: "Type a word to search for" }] });
      return;
    }
    navigate(searchLink(words));
  });
  return form;
}

export async function searchView(query) {
  const q = (query.get("q") || "").trim();
  const pages = pagesOf(`search:${q}`, query);
  const form = searchForm(q);
  const results = h("section.section", { "aria-labelledby": "results-heading" },
    h("h2", { id: "results-heading" }, q ? `Results for “${q}”` : "Results"));
  render(q ? `Search: ${q}` : "Search", h("h1", {}, "Search"), form, results);
  if (!q) {
    results.append(h("p.muted", {}, "Type a word above: a title, a tag, or something said in a video."));
    return;
  }
  results.append(h("p.loading", {}, "Searching…"));
  let payload;
  try {
    payload = await api.search(q, pages.token);
  } catch (error) {
    if (error.fieldErrors?.length) showErrors(form, { message: "", fieldErrors: error.fieldErrors.map(onQ) });
    results.replaceChildren(results.firstChild, notice(error.message, { kind: "error" }));
    return;
  }
  const { items, nextToken } = page(payload, "videos");
  pages.seen(nextToken);
  const videos = items.map(readVideo);
  const list = videos.length
    ? h("ul.grid", { "aria-label": "Search results" }, videos.map((video) => videoCard(video)))
    : emptyState(pages.number > 1 ? "No more videos match." : "No published video matches all of these words.",
      h("a.button", { href: href(""), "data-link": true }, "Browse recent videos"));
  results.replaceChildren(results.firstChild, list, pager(pages.number - 1, Boolean(nextToken), (delta) => {
    navigate(`search${pages.search(pages.number + delta, { q }) ?? `?${new URLSearchParams({ q })}`}`);
  }));
}

// The API names the parameter `query.q`; the form's field is `q`.
function onQ(problem) {
  return { ...problem, location: problem.location.endsWith(".q") || problem.location === "q" ? "q" : problem.location };
}
