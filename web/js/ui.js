// Small DOM helpers shared by every view: element builder, formatting, form fields and their errors.

/** h("a.card", {href}, child, ...) — builds an element; strings become text nodes (never HTML). */
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name || "div");
  if (classes.length) el.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "text") el.textContent = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the page's content, sets the document title and moves focus to the heading for screen readers. */
export function render(title, ...children) {
  const main = document.getElementById("main");
  main.replaceChildren();
  append(main, children);
  document.title = title ? `${title} · svideo` : "svideo";
  const heading = main.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  return main;
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(Number(ms))) return "";
  const total = Math.round(Number(ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

export function formatTimestamp(ms) {
  return formatDuration(ms) || "0:00";
}

export function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function relativeTime(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === "second") return format.format(Math.round(seconds / size), unit);
  }
  return "";
}

const STATUS_TEXT = {
  recording: "Recording",
  processing: "Processing",
  enriching: "Adding captions and titles",
  published: "Published",
  invalid: "Rejected",
  failed: "Failed",
  deleted: "Deleted",
};

export function statusBadge(status) {
  return h(`span.badge.status-${status || "unknown"}`, {}, STATUS_TEXT[status] || status || "Unknown");
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const item = h(`div.toast.toast-${kind}`, {}, message);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

/** A message block for errors and empty states; `role=alert` only for errors so they are announced. */
export function notice(message, { kind = "info", action } = {}) {
  return h(`div.notice.notice-${kind}`, kind === "error" ? { role: "alert" } : {}, h("p", {}, message), action);
}

/** A table inside a focusable, labelled scrolling region: at phone width it scrolls sideways, and keyboard
 * users can scroll it too (axe's scrollable-region-focusable). */
export function scrollTable(label, table) {
  return h("div.table-scroll", { role: "region", "aria-label": label, tabindex: "0" }, table);
}

export function emptyState(message, action) {
  return h("div.empty", {}, h("p", {}, message), action);
}

let fieldCounter = 0;

/** A labelled control with a hint and an error slot wired through aria-describedby. */
export function field({ name, label, type = "text", hint, value = "", required = false, options, rows, attrs = {} }) {
  const id = `f-${name}-${++fieldCounter}`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  let control;
  if (type === "textarea") {
    control = h("textarea", { id, name, rows: rows || 6, required, spellcheck: "false", ...attrs });
    control.value = value;
  } else if (type === "select") {
    control = h("select", { id, name, required, ...attrs },
      options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)));
  } else {
    control = h("input", { id, name, type, required, value, ...attrs });
  }
  control.setAttribute("aria-describedby", [hint ? hintId : "", errorId].filter(Boolean).join(" "));
  return h(`div.field`, { dataset: { field: name } },
    h("label", { for: id }, label, required ? h("span.required", { "aria-hidden": "true" }, " *") : null),
    hint ? h("p.hint", { id: hintId }, hint) : null,
    control,
    h("p.field-error", { id: errorId, hidden: true }));
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((el) => { el.hidden = true; el.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  form.querySelector(".form-error")?.remove();
}

/**
 * Shows an API error on the fields it names (`errors[].location` like `body.name` or `body.output_schema.type`)
 * and the rest above the form; focuses the first field in error.
 */
export function showErrors(form, error) {
  clearErrors(form);
  const unplaced = [];
  let first = null;
  for (const item of error.fieldErrors || []) {
    const slot = findField(form, item.location);
    if (!slot) {
      unplaced.push(item.message);
      continue;
    }
    const message = slot.querySelector(".field-error");
    message.textContent = message.textContent ? `${message.textContent} ${sentence(item.message)}` : sentence(item.message);
    message.hidden = false;
    const control = slot.querySelector("input, textarea, select");
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  if (!first || unplaced.length) {
    const text = unplaced.length && first ? unplaced.map(sentence).join(" ") : error.message;
    form.prepend(h("div.form-error", { role: "alert" }, text));
  }
  (first || form.querySelector(".form-error"))?.focus?.();
  if (!first) form.querySelector(".form-error").tabIndex = -1;
}

function findField(form, location) {
  if (!location) return null;
  const text = String(location);
  // A JSON pointer (`/projection/title`, the plugin registry's) or a dotted location (`body.projection.title`).
  const parts = (text.startsWith("/")
    ? text.slice(1).split("/").map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    : text.split(".")).filter((part) => part !== "body" && part !== "query" && part !== "path");
  // The most specific field wins: `projection.title` maps to a `projection` field when there is no deeper one.
  for (let length = parts.length; length > 0; length -= 1) {
    const name = parts.slice(0, length).join(".");
    const slot = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (slot) return slot;
  }
  return null;
}

export function sentence(text) {
  const value = String(text || "").trim();
  if (!value) return "";
  const capitalized = value[0].toUpperCase() + value.slice(1);
  return /[.!?]$/.test(capitalized) ? capitalized : `${capitalized}.`;
}

/** Copies text and confirms it to screen readers; falls back to selecting the text when the clipboard is denied. */
export function copyButton(getText, label = "Copy") {
  const button = h("button.button.small", { type: "button" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(getText());
      toast("Copied to the clipboard.");
    } catch {
      toast("Your browser did not allow copying: select the text and copy it yourself.", "error");
    }
  });
  return button;
}

export function busy(button, isBusy, text) {
  if (isBusy) {
    button.dataset.label = button.textContent;
    button.textContent = text || "Working…";
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  } else {
    button.textContent = button.dataset.label || button.textContent;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
