// The public HTTP API: every route the app calls is listed here, errors become sentences a person understands.

import { config } from "./config.js";
import { idToken, session, signOut } from "./auth.js";

export class ApiError extends Error {
  constructor(status, message, fieldErrors = []) {
    super(message);
    this.status = status;
    this.fieldErrors = fieldErrors;
  }
}

const STATUS_MESSAGES = {
  400: "Some of the details are not valid.",
  401: "Your session has ended. Sign in again to continue.",
  403: "You are not allowed to do that with this account.",
  404: "We could not find that. It may have been deleted.",
  409: "That cannot be done right now: it changed in the meantime. Reload and try again.",
  413: "That is too large to send.",
  422: "Some of the details are not valid.",
  429: "Too many requests. Wait a moment and try again.",
};

/** Dispatched when a signed-in request comes back 401: the router sends the user to sign in. */
export const SESSION_EXPIRED = "svideo:session-expired";

async function request(method, path, { body, query, auth = "optional" } = {}) {
  const settings = await config();
  if (!settings.apiUrl) throw new ApiError(0, "The video service is not deployed yet, so there is nothing to show.");
  const url = new URL(settings.apiUrl + path);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  const hadSession = Boolean(session());
  const token = auth === "none" ? null : await idToken();
  if (auth === "required" && !token) {
    expired();
    throw new ApiError(401, STATUS_MESSAGES[401]);
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "We could not reach svideo. Check your connection and try again.");
  }
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (response.ok) return payload;
  if (response.status === 401 && (token || hadSession || auth === "required")) {
    signOut();
    expired();
  }
  throw toError(response.status, payload);
}

function expired() {
  window.dispatchEvent(new CustomEvent(SESSION_EXPIRED));
}

// The error lists the services send: ours (`errors[].location`), the plugin registry's 422
// (`problems[].field`, a JSON pointer) and Powertools' request validation (`detail[].loc`).
function fieldErrorsOf(payload) {
  const list = [payload?.errors, payload?.problems, payload?.detail].find(Array.isArray) || [];
  return list.map((item) => ({
    location: Array.isArray(item.loc) ? item.loc.join(".") : item.location || item.field || "",
    message: humanize(item.message || item.msg || String(item)),
  }));
}

// Validation messages that quote a regular expression help nobody: the field's hint says the format.
function humanize(message) {
  return /^String should match pattern/.test(message) ? "This is not in the expected format (see the hint)" : message;
}

const GENERIC = new Set(["invalid request", "invalid manifest", "Internal Server Error", "Not found"]);

function toError(status, payload) {
  const fieldErrors = fieldErrorsOf(payload);
  // Our API's own messages are written for people; generic ones ("invalid request") get a better sentence.
  const own = payload?.message && !GENERIC.has(payload.message) ? payload.message : null;
  const message = status >= 500
    ? "Something went wrong on our side. Try again in a moment."
    : own || STATUS_MESSAGES[status] || "That did not work. Try again.";
  return new ApiError(status, message, fieldErrors);
}

const enc = encodeURIComponent;

export const api = {
  me: () => request("GET", "/me", { auth: "required" }),

  liveChannels: (nextToken) => request("GET", "/channels/live", { query: { next_token: nextToken } }),
  myChannels: (nextToken) => request("GET", "/channels", { auth: "required", query: { next_token: nextToken } }),
  channel: (channelId) => request("GET", `/channels/${enc(channelId)}`),
  createChannel: (name, reconnectWindowSeconds) => request("POST", "/channels", {
    auth: "required", body: { name, reconnect_window_seconds: reconnectWindowSeconds ?? undefined },
  }),
  findUsers: (email) => request("GET", "/users", { auth: "required", query: { email } }),
  grantRole: (username, role) => request("PUT", `/users/${enc(username)}/roles/${enc(role)}`, { auth: "required" }),
  revokeRole: (username, role) => request("DELETE", `/users/${enc(username)}/roles/${enc(role)}`, { auth: "required" }),
  updateChannel: (channelId, changes) => request("PATCH", `/channels/${enc(channelId)}`, { auth: "required", body: changes }),
  rotateKey: (channelId) => request("POST", `/channels/${enc(channelId)}/stream-key/rotate`, { auth: "required" }),
  deleteChannel: (channelId) => request("DELETE", `/channels/${enc(channelId)}`, { auth: "required" }),

  videos: (nextToken, limit = 12) => request("GET", "/videos", { query: { next_token: nextToken, limit } }),
  // The owner sees every status of their channel's videos here; viewers see the published ones.
  channelVideos: (channelId, nextToken, limit = 20) =>
    request("GET", `/channels/${enc(channelId)}/videos`, { query: { next_token: nextToken, limit } }),
  video: (videoId) => request("GET", `/videos/${enc(videoId)}`),
  // Published videos holding every word of `q`, newest first.
  search: (q, nextToken, limit = 12) => request("GET", "/search", { query: { q, next_token: nextToken, limit } }),
  // Every video of the signed-in broadcaster, every status, newest first.
  myVideos: (nextToken, limit = 50) => request("GET", "/me/videos", { auth: "required", query: { next_token: nextToken, limit } }),
  history: (videoId) => request("GET", `/videos/${enc(videoId)}/history`, { auth: "required" }),
  deleteVideo: (videoId) => request("DELETE", `/videos/${enc(videoId)}`, { auth: "required" }),
  titles: (videoId) => request("GET", `/videos/${enc(videoId)}/titles`, { auth: "required" }),
  selectTitle: (videoId, candidateId) =>
    request("POST", `/videos/${enc(videoId)}/title`, { auth: "required", body: { candidate_id: candidateId } }),
  regenerateTitles: (videoId, feedback) =>
    request("POST", `/videos/${enc(videoId)}/titles/regenerate`, { auth: "required", body: { feedback } }),

  plugins: (nextToken) => request("GET", "/plugins", { auth: "required", query: { next_token: nextToken } }),
  plugin: (name) => request("GET", `/plugins/${enc(name)}`, { auth: "required" }),
  registerPlugin: (manifest) => request("POST", "/plugins", { auth: "required", body: manifest }),
  setPluginEnabled: (name, enabled) =>
    request("POST", `/plugins/${enc(name)}/${enabled ? "enable" : "disable"}`, { auth: "required" }),
  invocations: (name, nextToken) =>
    request("GET", `/plugins/${enc(name)}/invocations`, { auth: "required", query: { next_token: nextToken } }),
};

/** The items of a page whatever the list is called, and its continuation token. */
export function page(payload, key) {
  const items = payload?.items || payload?.[key] || (Array.isArray(payload) ? payload : []);
  return { items, nextToken: payload?.next_token || payload?.nextToken || null };
}
