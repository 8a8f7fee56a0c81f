// Form drafts in sessionStorage: what a person typed survives an expired session and the sign-in round trip.

const PREFIX = "svideo.draft.";

/** Restores a form's saved values, then saves every change; `clear()` forgets the draft after a success. */
export function keepDraft(form, key) {
  const storageKey = PREFIX + key;
  const saved = read(storageKey);
  for (const [name, value] of Object.entries(saved)) {
    const control = form.elements.namedItem(name);
    if (control && "value" in control && control.type !== "password") control.value = value;
  }
  const save = () => {
    const values = {};
    for (const control of form.elements) {
      if (control.name && control.type !== "password" && "value" in control) values[control.name] = control.value;
    }
    sessionStorage.setItem(storageKey, JSON.stringify(values));
  };
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  return {
    save,
    clear() {
      sessionStorage.removeItem(storageKey);
    },
  };
}

function read(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "{}") || {};
  } catch {
    return {};
  }
}
