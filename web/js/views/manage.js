// One of the broadcaster's videos: processing timeline, per-plugin status, title choice and deletion.

import { api, page } from "../api.js";
import { keepDraft } from "../drafts.js";
import { subscribe } from "../live.js";
import { readVideo } from "../models.js";
import { loadCues } from "../player.js";
import { href, navigate } from "../router.js";
import { busy, emptyState, field, formatDate, formatDuration, h, notice, render, scrollTable, showErrors, statusBadge, toast } from "../ui.js";

// Plugin progress as it is pushed (`video.plugin`: running, then succeeded or failed), per hook.
const STATE_TEXT = { running: "Running…", succeeded: "Done", failed: "Failed" };

function drawProgress(box, progress) {
  if (!progress.size) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(h("h2", { id: "progress-heading" }, "Plugins at work"),
    h("ul.list", { "aria-labelledby": "progress-heading" }, [...progress.entries()].map(([plugin, entry]) =>
      h("li", { dataset: { plugin, state: entry.state } }, h("strong", {}, plugin),
        entry.hook ? ` (${entry.hook})` : "", `: ${STATE_TEXT[entry.state] || entry.state}`))));
}

export async function manageVideoView(videoId) {
  const progress = new Map();
  const progressBox = h("section.section.plugin-progress", { "aria-live": "polite", "data-testid": "plugin-progress" });
  // A live update may start a redraw that finishes after the user left (deleting the video, say): it must
  // not paint this view over the next one.
  let shown = true;
  const draw = async () => {
    let video;
    try {
      video = readVideo(await api.video(videoId));
    } catch (error) {
      if (shown) render("Video", h("h1", {}, "Video"), notice(error.message, { kind: "error" }));
      return;
    }
    // Candidates cite transcript lines by index: the captions' cues are those lines.
    if (video.captions) video.segments = await loadCues(video.captions).catch(() => []);
    if (!shown) return;
    const timeline = h("section.section", { "aria-labelledby": "history-heading" }, h("h2", { id: "history-heading" }, "History"));
    const titles = h("section.section", { "aria-labelledby": "titles-heading" }, h("h2", { id: "titles-heading" }, "Title"));
    const plugins = h("section.section", { "aria-labelledby": "plugins-heading" }, h("h2", { id: "plugins-heading" }, "Plugins"));
    render(video.title,
      h("p", {}, h("a", { href: href("studio"), "data-link": true }, "← Studio")),
      h("h1", {}, video.title),
      h("p.meta", {}, statusBadge(video.status), " ", formatDuration(video.durationMs),
        video.status === "published" ? [" · ", h("a", { href: href(`watch/${video.id}`), "data-link": true }, "Watch")] : null),
      video.reason && ["failed", "invalid"].includes(video.status) ? notice(`Why: ${video.reason}`, { kind: "error" }) : null,
      progressBox,
      h("div.columns", {}, h("div", {}, titles, plugins), timeline),
      deleteSection(video));
    // One request feeds both: the per-plugin table is the history's plugin entries (docs/api.md).
    const history = api.history(video.id).then((payload) => page(payload, "history").items);
    history.catch(() => {});
    await Promise.all([fillTimeline(timeline, history), fillTitles(titles, video), fillPlugins(plugins, video, history)]);
  };
  await draw();
  const unsubscribe = subscribe((update) => {
    if (update.videoId !== videoId) return;  // not on resync: redrawing would drop a title being chosen
    if (update.type === "video.plugin") {
      const data = update.raw.data || {};
      progress.set(data.plugin, { state: data.state, hook: data.hook || progress.get(data.plugin)?.hook });
      drawProgress(progressBox, progress);
      if (data.state === "running") return;  // a finished plugin may have changed the record: read it again
    }
    draw();
  });
  return () => {
    shown = false;
    unsubscribe();
  };
}

const OUTCOME_TEXT = {
  succeeded: "Succeeded", failed: "Failed", timed_out: "Timed out", rejected: "Rejected", skipped: "Skipped",
};

function outcomeBadge(outcome) {
  return h(`span.badge.plugin-${outcome || "unknown"}`, {}, OUTCOME_TEXT[outcome] || outcome || "Unknown");
}

function tookText(durationMs) {
  return typeof durationMs === "number" ? `${(durationMs / 1000).toFixed(1)} s` : "";
}

async function fillTimeline(section, history) {
  let items;
  try {
    items = [...await history].reverse();  // newest first: the broadcaster watches the latest step
  } catch (error) {
    section.append(notice(error.message, { kind: "error" }));
    return;
  }
  if (!items.length) {
    section.append(emptyState("Nothing has happened to this video yet."));
    return;
  }
  section.append(h("ol.timeline", {}, items.map((entry) => {
    const when = entry.at || entry.occurred_at;
    const move = entry.to ? `${entry.from || "…"} → ${entry.to}` : "";  // an entry without `to` moved nothing
    const late = entry.applied === false ? "(arrived late; status unchanged)" : "";
    const reason = [entry.reason, late].filter(Boolean).join(" ");
    return h("li", {},
      h("time", { datetime: when }, formatDate(when)),
      entry.outcome
        ? h("p", {}, h("strong", {}, entry.plugin), ` on ${entry.hook || "an unknown hook"} `, outcomeBadge(entry.outcome),
          entry.duration_ms !== undefined && entry.duration_ms !== null ? ` in ${tookText(entry.duration_ms)}` : "")
        : h("p", {}, h("strong", {}, entry.type || ""), move ? ` ${move}` : "", entry.plugin ? ` (${entry.plugin})` : ""),
      reason ? h("p.meta", {}, reason) : null);
  })));
}

/** The latest result of each plugin and hook: the history's per-plugin entries (`plugin` and `outcome`), oldest first. */
export function pluginResults(history) {
  const latest = new Map();
  for (const entry of history) {
    if (entry.plugin && entry.outcome) latest.set(`${entry.plugin}\u0000${entry.hook || ""}`, entry);
  }
  return [...latest.values()];
}

async function fillPlugins(section, video, history) {
  let results;
  try {
    results = pluginResults(await history);
  } catch (error) {
    section.append(notice(error.message, { kind: "error" }));
    return;
  }
  if (!results.length) {
    section.append(emptyState(["processing", "recording", "enriching"].includes(video.status)
      ? "Plugins run once processing is done; their results appear here."
      : "No plugin ran for this video."));
    return;
  }
  section.append(scrollTable("Latest result of each plugin", h("table.table", {},
    h("caption.visually-hidden", {}, "Latest result of each plugin"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Plugin"), h("th", { scope: "col" }, "Hook"),
      h("th", { scope: "col" }, "Outcome"), h("th", { scope: "col" }, "Took"), h("th", { scope: "col" }, "Detail"))),
    h("tbody", {}, results.map((result) => h("tr", {},
      h("th", { scope: "row" }, result.plugin),
      h("td", {}, result.hook || ""),
      h("td", {}, outcomeBadge(result.outcome)),
      h("td", {}, tookText(result.duration_ms)),
      h("td", {}, result.reason || "")))))));
}

/** The title book (`GET /videos/{id}/titles`), or what the record's projection holds where there is none yet. */
async function titleBook(video) {
  try {
    const book = await api.titles(video.id);
    return {
      candidates: (book.candidates || []).map((c) => ({ id: c.candidate_id, text: c.title, evidence: c.evidence || [] })),
      selectedId: book.selected_candidate_id,
      selectedText: book.selected_title,
      attemptsLeft: Math.max(0, (book.max_rounds ?? 0) - (book.round ?? 0)),
      regenerating: Boolean(book.regenerating_round),
    };
  } catch (error) {
    if (error.status !== 404) throw error;
    return { candidates: video.titleCandidates, selectedText: video.selectedTitle, attemptsLeft: video.titleAttemptsLeft };
  }
}

async function fillTitles(section, video) {
  let book;
  try {
    book = await titleBook(video);
  } catch (error) {
    section.append(notice(error.message, { kind: "error" }));
    return;
  }
  const { candidates } = book;
  const selected = book.selectedId || book.selectedText;
  if (!candidates.length) {
    section.append(h("p.muted", {}, "Title suggestions appear here once the transcript is ready."));
    return;
  }
  if (book.regenerating) section.append(notice("New titles are being written; this page updates when they are ready."));
  const choose = h("form.form", { novalidate: true, "aria-label": "Choose a title" },
    h("fieldset", {},
      h("legend", {}, "Pick the title viewers see"),
      candidates.map((candidate, index) => h("div.choice", {},
        h("input", { type: "radio", name: "title", id: `title-${index}`, value: candidate.id, checked: candidate.text === selected || candidate.id === selected }),
        h("label", { for: `title-${index}` }, candidate.text,
          evidenceText(candidate, video.segments) ? h("span.evidence", {}, ` — from: “${evidenceText(candidate, video.segments)}”`) : null)))),
    h("div.field", { dataset: { field: "title" } }, h("p.field-error", { hidden: true })),
    h("button.button.primary", { type: "submit" }, "Use this title"));
  choose.addEventListener("submit", async (event) => {
    event.preventDefault();
    const candidateId = choose.elements.title.value;
    const title = candidates.find((candidate) => candidate.id === candidateId)?.text;
    if (!candidateId) return showErrors(choose, { message: "Pick one of the titles first.", fieldErrors: [] });
    const button = choose.querySelector("button[type=submit]");
    busy(button, true, "Saving…");
    try {
      await api.selectTitle(video.id, candidateId);
      toast(`The title is now “${title}”.`, "success");
      busy(button, false);
      section.querySelector("[data-testid=current-title]")?.replaceChildren(title);
    } catch (error) {
      busy(button, false);
      showErrors(choose, error);
    }
  });
  const attemptsLeft = book.attemptsLeft;
  const regenerate = h("form.form", { novalidate: true, "aria-labelledby": "regenerate-heading" },
    h("h3", { id: "regenerate-heading" }, "None of these?"),
    field({ name: "feedback", label: "What should the new titles do differently?", type: "textarea", rows: 3,
      required: true, hint: "For example: shorter, mention the demo, less formal.", attrs: { maxlength: 1000 } }),
    attemptsLeft !== undefined ? h("p.hint", {}, `${attemptsLeft} more ${attemptsLeft === 1 ? "try" : "tries"} left.`) : null,
    h("button.button", { type: "submit", disabled: attemptsLeft === 0 }, "Suggest new titles"));
  const draft = keepDraft(regenerate, `regenerate-${video.id}`);
  regenerate.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = regenerate.querySelector("button[type=submit]");
    const feedback = regenerate.elements.feedback.value.trim();
    if (!feedback) return showErrors(regenerate, { message: "", fieldErrors: [{ location: "feedback", message: "Say what the new titles should do differently" }] });
    busy(button, true, "Asking…");
    try {
      await api.regenerateTitles(video.id, feedback);
      draft.clear();
      regenerate.elements.feedback.value = "";
      toast("New titles are on their way; this page updates when they are ready.", "success");
      busy(button, false);
    } catch (error) {
      busy(button, false);
      showErrors(regenerate, error);
    }
  });
  section.append(h("p", {}, "Viewers see: ", h("strong", { "data-testid": "current-title" }, book.selectedText || video.title)), choose, regenerate);
}

// Evidence arrives as transcript segment indexes; the lines themselves are shown when the record has them.
function evidenceText(candidate, segments = []) {
  const evidence = candidate.evidence;
  if (!evidence) return "";
  if (typeof evidence === "string") return evidence;
  return evidence.map((item) => (typeof item === "number" ? segments[item]?.text : item)).filter(Boolean).join(" … ");
}

function deleteSection(video) {
  return h("section.section.danger-zone", { "aria-labelledby": "delete-heading" },
    h("h2", { id: "delete-heading" }, "Delete this video"),
    h("p", {}, "The recording, captions and images are removed for good."),
    h("button.button.danger", {
      type: "button",
      onclick: async (event) => {
        if (!confirm(`Delete “${video.title}” and its media? This cannot be undone.`)) return;
        busy(event.currentTarget, true, "Deleting…");
        try {
          await api.deleteVideo(video.id);
          toast("The video was deleted.", "success");
          navigate("studio");
        } catch (error) {
          busy(event.currentTarget, false);
          toast(error.message, "error");
        }
      },
    }, "Delete video"));
}
