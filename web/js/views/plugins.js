// The plugin console: registered plugins, enabling and disabling, registration from a manifest, invocations.

import { api, page } from "../api.js";
import { keepDraft } from "../drafts.js";
import { href, navigate } from "../router.js";
import { busy, clearErrors, emptyState, field, formatDate, h, notice, render, scrollTable, showErrors, toast } from "../ui.js";

export async function pluginsView() {
  const list = h("section.section", { "aria-labelledby": "plugins-heading" }, h("h2", { id: "plugins-heading" }, "Registered plugins"));
  render("Plugins", h("h1", {}, "Plugin console"),
    h("p", {}, h("a.button.primary", { href: href("plugins/new"), "data-link": true }, "Register a plugin")), list);
  try {
    const { items } = page(await api.plugins(), "plugins");
    list.append(items.length
      ? scrollTable("Registered plugins", h("table.table", {},
        h("thead", {}, h("tr", {}, ["Plugin", "Version", "Hook", "Enabled"].map((text) => h("th", { scope: "col" }, text)))),
        h("tbody", {}, items.map(readPlugin).map((plugin) => h("tr", {},
          h("td", {}, h("a", { href: href(`plugins/${plugin.name}`), "data-link": true }, plugin.name)),
          h("td", {}, plugin.version || ""),
          h("td", {}, plugin.hook || ""),
          h("td", {}, enabledToggle(plugin)))))))
      : emptyState("No plugins yet. Register one from its manifest."));
  } catch (error) {
    list.append(notice(error.message, { kind: "error" }));
  }
}

function enabledToggle(plugin) {
  const box = h("input", { type: "checkbox", id: `enabled-${plugin.name}`, checked: plugin.enabled !== false });
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      await api.setPluginEnabled(plugin.name, box.checked);
      toast(`${plugin.name} is ${box.checked ? "enabled" : "disabled"}.`, "success");
    } catch (error) {
      box.checked = !box.checked;
      toast(error.message, "error");
    }
    box.disabled = false;
  });
  return h("span.toggle", {}, box, h("label", { for: box.id }, h("span.visually-hidden", {}, `${plugin.name} enabled`)));
}

const HOOKS = [["preValidate", "preValidate"], ["postValidate", "postValidate"], ["preMetadata", "preMetadata"], ["postMetadata", "postMetadata"]];
const JSON_FIELDS = ["output_schema", "projection"];

export async function registerPluginView() {
  const form = h("form.form.manifest-form", { novalidate: true, "aria-labelledby": "register-heading" },
    field({ name: "manifest", label: "Paste a manifest (JSON) to fill the fields", type: "textarea", rows: 4,
      hint: "Optional. The fields below are what is sent." }),
    h("button.button.small", { type: "button", onclick: () => importManifest(form) }, "Fill the fields from the manifest"),
    h("div.grid-2", {},
      field({ name: "name", label: "Name", required: true, hint: "Lower case letters, digits and dashes." }),
      field({ name: "version", label: "Version", required: true, hint: "Semantic version, e.g. 1.0.0." }),
      field({ name: "author", label: "Author", required: true }),
      field({ name: "hook", label: "Hook", type: "select", required: true, options: HOOKS, value: "postMetadata" }),
      field({ name: "timeout_seconds", label: "Timeout (seconds)", type: "number", value: "60", attrs: { min: 1 } }),
      field({ name: "after", label: "Runs after (plugin names, comma separated)" })),
    field({ name: "description", label: "Description", required: true }),
    field({ name: "output_schema", label: "Output JSON Schema", type: "textarea", required: true, rows: 8,
      value: JSON.stringify({ type: "object", properties: {}, additionalProperties: false }, null, 2) }),
    field({ name: "projection", label: "Projection onto the video (JSON)", type: "textarea", rows: 3, value: "{}",
      hint: 'Video field → JSON pointer in the output, e.g. {"mood": "/mood"}.' }),
    h("button.button.primary", { type: "submit" }, "Register plugin"));
  const draft = keepDraft(form, "register-plugin");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { manifest, problems } = readForm(form);
    if (problems.length) return showErrors(form, { message: "", fieldErrors: problems });
    const button = form.querySelector("button[type=submit]");
    busy(button, true, "Registering…");
    try {
      await api.registerPlugin(manifest);
      draft.clear();
      toast(`Plugin ${manifest.name} registered.`, "success");
      navigate(`plugins/${manifest.name}`);
    } catch (error) {
      busy(button, false);
      showErrors(form, error);
    }
  });
  render("Register a plugin",
    h("p", {}, h("a", { href: href("plugins"), "data-link": true }, "← Plugins")),
    h("h1", { id: "register-heading" }, "Register a plugin"), form);
}

function importManifest(form) {
  clearErrors(form);
  let manifest;
  try {
    manifest = JSON.parse(form.elements.manifest.value);
  } catch (error) {
    return showErrors(form, { message: "", fieldErrors: [{ location: "manifest", message: `This is not valid JSON: ${error.message}` }] });
  }
  for (const [key, value] of Object.entries(manifest)) {
    const control = form.elements.namedItem(key);
    if (!control) continue;
    control.value = JSON_FIELDS.includes(key) ? JSON.stringify(value, null, 2) : Array.isArray(value) ? value.join(", ") : value;
  }
  form.dispatchEvent(new Event("input"));
}

function readForm(form) {
  const value = (name) => form.elements[name].value.trim();
  const problems = [];
  const manifest = {
    name: value("name"),
    version: value("version"),
    description: value("description"),
    author: value("author"),
    hook: value("hook"),
    timeout_seconds: Number(value("timeout_seconds") || 60),
    after: value("after") ? value("after").split(",").map((item) => item.trim()).filter(Boolean) : [],
  };
  for (const name of ["name", "version", "description", "author"]) {
    if (!manifest[name]) problems.push({ location: name, message: "This is required" });
  }
  for (const name of JSON_FIELDS) {
    try {
      manifest[name] = JSON.parse(value(name) || "{}");
    } catch (error) {
      problems.push({ location: name, message: `This is not valid JSON: ${error.message}` });
    }
  }
  return { manifest, problems };
}

/** A registry entry (`{manifest, enabled, owner_id, ...}`) with the manifest's fields at the top. */
function readPlugin(entry) {
  return { ...(entry.manifest || {}), ...entry, name: entry.name || entry.manifest?.name };
}

export async function pluginView(name) {
  let plugin;
  try {
    plugin = readPlugin(await api.plugin(name));
  } catch (error) {
    render(name, h("h1", {}, name), notice(error.message, { kind: "error" }));
    return;
  }
  const invocations = h("section.section", { "aria-labelledby": "invocations-heading" }, h("h2", { id: "invocations-heading" }, "Recent invocations"));
  render(name,
    h("p", {}, h("a", { href: href("plugins"), "data-link": true }, "← Plugins")),
    h("h1", {}, plugin.name, " ", h("span.meta", {}, plugin.version || "")),
    h("p", {}, plugin.description || ""),
    h("dl.settings", {},
      h("dt", {}, "Hook"), h("dd", {}, plugin.hook || ""),
      h("dt", {}, "Timeout"), h("dd", {}, `${plugin.timeout_seconds ?? "?"} s`),
      h("dt", {}, "Enabled"), h("dd", {}, enabledToggle(plugin))),
    invocations);
  await showInvocations(invocations, plugin.name);
}

/** `GET /plugins/{name}/invocations`: rows newest first, `next_token` for older ones ("Show older"). */
async function showInvocations(section, name) {
  const rows = h("tbody", {});
  const table = h("table.table", {},
    h("caption.visually-hidden", {}, "Recent invocations, newest first"),
    h("thead", {}, h("tr", {}, ["Started", "Video", "Hook", "Status", "Took", "Output or reason"].map((text) => h("th", { scope: "col" }, text)))),
    rows);
  const more = h("button.button.small", { type: "button" }, "Show older invocations");
  let nextToken = null;
  const load = async () => {
    busy(more, true, "Loading…");
    try {
      const result = page(await api.invocations(name, nextToken || undefined), "invocations");
      if (!nextToken && !result.items.length) {
        section.append(emptyState("No invocations yet. They appear when a video reaches this plugin's hook."));
        more.remove();
        return;
      }
      if (!table.isConnected) section.append(scrollTable("Recent invocations", table), more);
      rows.append(...result.items.map(invocationRow));
      nextToken = result.nextToken;
      busy(more, false);
      more.hidden = !nextToken;
    } catch (error) {
      more.remove();
      section.append(error.status === 404
        ? h("p.muted", {}, "Invocation history is not available from the plugin service yet.")
        : notice(error.message, { kind: "error" }));
    }
  };
  more.addEventListener("click", load);
  await load();
}

function invocationRow(item) {
  const took = item.duration_ms === null || item.duration_ms === undefined ? (item.status === "pending" ? "running" : "") : `${(item.duration_ms / 1000).toFixed(1)} s`;
  return h("tr", {},
    h("td", {}, formatDate(item.started_at || item.ended_at)),
    h("td", {}, item.video_id ? h("a", { href: href(`watch/${item.video_id}`), "data-link": true }, item.video_id) : ""),
    h("td", {}, item.hook || ""),
    h("td", {}, h(`span.badge.plugin-${item.status}`, {}, (item.status || "").replace("_", " "))),
    h("td", {}, took),
    h("td", {}, h("code.output", {}, item.reason || item.output_preview || "")));
}
