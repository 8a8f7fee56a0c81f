// Sign in and sign up against the Cognito user pool; after sign-in the user returns to where they were.

import { confirmSignUp, hasGroup, signIn, signUp } from "../auth.js";
import { href, navigate } from "../router.js";
import { busy, field, h, render, showErrors, toast } from "../ui.js";

export async function signInView(query) {
  const next = safeNext(query.get("next"));
  const form = h("form.form", { novalidate: true, "aria-labelledby": "signin-heading" },
    field({ name: "email", label: "Email", type: "email", required: true, attrs: { autocomplete: "username" } }),
    field({ name: "password", label: "Password", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    h("button.button.primary", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    const missing = [];
    if (!email) missing.push({ location: "email", message: "Enter your email address" });
    if (!password) missing.push({ location: "password", message: "Enter your password" });
    if (missing.length) return showErrors(form, { message: "", fieldErrors: missing });
    const button = form.querySelector("button[type=submit]");
    busy(button, true, "Signing in…");
    try {
      await signIn(email, password);
      navigate(next, { replace: true });
    } catch (error) {
      busy(button, false);
      showErrors(form, { message: error.message, fieldErrors: [] });
    }
  });
  render("Sign in",
    h("div.narrow", {},
      h("h1", { id: "signin-heading" }, "Sign in"),
      query.get("next") ? h("p", {}, "Sign in to continue. Anything you had typed is kept.") : null,
      form,
      h("p", {}, "No account yet? ", h("a", { href: href(`signup${query.get("next") ? `?next=${encodeURIComponent(next)}` : ""}`), "data-link": true }, "Create one"))));
}

export async function signUpView(query) {
  const next = safeNext(query.get("next"));
  const form = h("form.form", { novalidate: true },
    field({ name: "email", label: "Email", type: "email", required: true, attrs: { autocomplete: "email" } }),
    field({
      name: "password", label: "Password", type: "password", required: true,
      hint: "At least 8 characters, with upper and lower case letters, a number and a symbol.",
      attrs: { autocomplete: "new-password" },
    }),
    h("button.button.primary", { type: "submit" }, "Create account"));
  const wrapper = h("div.narrow", {}, h("h1", {}, "Create an account"), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    const button = form.querySelector("button[type=submit]");
    busy(button, true, "Creating…");
    try {
      const result = await signUp(email, password);
      if (result.UserConfirmed) {
        await signIn(email, password);
        welcome(next);
        return;
      }
      wrapper.replaceChildren(h("h1", {}, "Confirm your email"), confirmForm(email, password, next));
      wrapper.querySelector("h1").focus?.();
    } catch (error) {
      busy(button, false);
      const location = /password/i.test(error.code) ? "password" : /Username|email/i.test(error.code) ? "email" : null;
      showErrors(form, { message: error.message, fieldErrors: location ? [{ location, message: error.message }] : [] });
    }
  });
  render("Create an account", wrapper);
}

function confirmForm(email, password, next) {
  const form = h("form.form", { novalidate: true },
    h("p", {}, `We sent a code to ${email}. Enter it here.`),
    field({ name: "code", label: "Confirmation code", required: true, attrs: { autocomplete: "one-time-code", inputmode: "numeric" } }),
    h("button.button.primary", { type: "submit" }, "Confirm"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await confirmSignUp(email, form.elements.code.value.trim());
      await signIn(email, password);
      welcome(next);
    } catch (error) {
      showErrors(form, { message: error.message, fieldErrors: [{ location: "code", message: error.message }] });
    }
  });
  return form;
}

/** A new broadcaster goes to the studio to create their first channel; everyone else where they were going. */
function welcome(next) {
  if (hasGroup("broadcaster") && !next) {
    toast("Welcome! Your account can broadcast: create your channel to get your OBS and ffmpeg settings.", "success");
    navigate("studio", { replace: true });
    return;
  }
  if (!hasGroup("broadcaster")) toast("Welcome! Your account is ready to watch.", "success");
  navigate(next, { replace: true });
}

/** Only app-relative destinations: a crafted link must not send a fresh session to another site. */
function safeNext(value) {
  if (!value || /^[a-z]+:|^\/\//i.test(value)) return "";
  return value.replace(/^\/+/, "");
}
