// Admins: find users by email and grant or revoke their roles (the /users routes).

import { api } from "../api.js";
import { busy, emptyState, field, h, notice, render, scrollTable, showErrors, toast } from "../ui.js";

const ROLES = ["broadcaster", "plugin-developer", "admin"];

export async function adminUsersView(query) {
  const results = h("section.section", { "aria-labelledby": "users-heading", "aria-live": "polite" },
    h("h2", { id: "users-heading" }, "Users"));
  const form = h("form.form", { novalidate: true, role: "search", "aria-label": "Find users" },
    field({
      name: "email", label: "Email starts with", type: "search", required: true, value: query.get("email") || "",
      hint: "For example ada@ or ada@example.com. Users of this site's broadcaster domains are broadcasters from sign-up.",
      attrs: { autocomplete: "off" },
    }),
    h("button.button.primary", { type: "submit" }, "Find users"));
  const search = async (email) => {
    const button = form.querySelector("button[type=submit]");
    busy(button, true, "Finding…");
    try {
      const { items } = await api.findUsers(email);
      results.replaceChildren(results.firstChild, items.length
        ? scrollTable("Users found", usersTable(items))
        : emptyState(`No user's email starts with “${email}”.`));
      history.replaceState(null, "", `?email=${encodeURIComponent(email)}`);
    } catch (error) {
      showErrors(form, error);
    } finally {
      busy(button, false);
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const email = form.elements.email.value.trim();
    if (!email) return showErrors(form, { message: "", fieldErrors: [{ location: "email", message: "Enter the start of an email address" }] });
    search(email);
  });
  render("Users", h("h1", {}, "Users and roles"), form, results);
  if (query.get("email")) await search(query.get("email"));
}

function usersTable(users) {
  return h("table.table", {},
    h("caption.visually-hidden", {}, "Users and their roles"),
    h("thead", {}, h("tr", {}, ["Email", "Status", ...ROLES].map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, users.map((user) => h("tr", {},
      h("th", { scope: "row" }, user.email || user.username),
      h("td", {}, user.status),
      ROLES.map((role) => h("td", {}, roleToggle(user, role)))))));
}

function roleToggle(user, role) {
  const label = `${role} for ${user.email || user.username}`;
  const box = h("input", { type: "checkbox", checked: user.groups.includes(role), "aria-label": label });
  box.addEventListener("change", async () => {
    const granting = box.checked;
    box.disabled = true;
    try {
      const saved = await (granting ? api.grantRole(user.username, role) : api.revokeRole(user.username, role));
      user.groups = saved.groups;
      toast(`${user.email || user.username}: ${role} ${granting ? "granted" : "revoked"} (from their next sign-in).`, "success");
    } catch (error) {
      box.checked = !granting;
      toast(error.message, "error");
    } finally {
      box.disabled = false;
    }
  });
  return box;
}
