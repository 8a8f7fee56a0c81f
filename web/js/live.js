// Live updates over the WebSocket API (docs/live-updates.md): messages are hints to refresh, never trusted for data.

import { idToken, onChange } from "./auth.js";
import { config } from "./config.js";

// Public topics for everyone; `mine` adds the signed-in owner's unpublished videos and recordings.
const PUBLIC_TOPICS = ["channels", "videos"];

const listeners = new Set();
let socket = null;
let retryDelay = 1000;
let statusListener = () => {};
let watchingSession = false;

/** `listener(update)` for every push; returns the unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  if (!watchingSession) {
    watchingSession = true;
    // A new or ended session changes who the socket speaks for: connect again with the new token.
    onChange(() => reconnect());
  }
  connect();
  return () => listeners.delete(listener);
}

export function onStatus(listener) {
  statusListener = listener;
}

function reconnect() {
  if (!socket) return;
  const old = socket;
  socket = null;
  old.intentional = true;
  old.close();
  if (listeners.size) connect();
}

async function connect() {
  if (socket) return;
  const settings = await config().catch(() => ({}));
  if (!settings.webSocketUrl || socket) return;
  const token = await idToken();
  if (socket) return;
  const url = new URL(settings.webSocketUrl.replace(/^http/, "ws"));
  if (token) url.searchParams.set("token", token);
  const current = new WebSocket(url);
  socket = current;
  current.addEventListener("open", () => {
    retryDelay = 1000;
    current.send(JSON.stringify({ action: "subscribe", topics: token ? [...PUBLIC_TOPICS, "mine"] : PUBLIC_TOPICS }));
    statusListener("connected");
  });
  current.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (["subscribed", "unsubscribed", "pong", "error"].includes(message.type)) {
      if (message.type === "subscribed") {
        document.documentElement.dataset.live = "subscribed";
        // What changed before the subscription (or while the socket was down) was never pushed: the views
        // that show state without holding the user's input read it again, now that later changes reach them.
        const resync = { type: "resync", videoId: null, channelId: null, status: null, raw: message, resync: true };
        for (const listener of listeners) listener(resync);
      }
      return;
    }
    const update = normalize(message);
    for (const listener of listeners) listener(update);
  });
  current.addEventListener("close", () => {
    if (current.intentional) return;
    if (socket === current) socket = null;
    delete document.documentElement.dataset.live;
    statusListener("reconnecting");
    // Back off up to 30 s; a viewer on a bad network should not hammer the API.
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30_000);
  });
  current.addEventListener("error", () => current.close());
}

/** One shape for a push (`{type, topic, data, event_id, at}`): `{type, videoId, channelId, status, raw}`. */
export function normalize(message) {
  const data = message.data || {};
  return {
    type: message.type || "",
    videoId: data.video_id || null,
    channelId: data.channel_id || null,
    status: data.status || data.to || null,
    raw: message,
  };
}
