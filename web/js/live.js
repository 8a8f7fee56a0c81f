// Live updates over the WebSocket API: messages are hints to refresh, so views never trust them for data.

import { config } from "./config.js";

const listeners = new Set();
let socket = null;
let retryDelay = 1000;
let statusListener = () => {};

/** `listener(message)` for every update; returns the unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  connect();
  return () => listeners.delete(listener);
}

export function onStatus(listener) {
  statusListener = listener;
}

async function connect() {
  if (socket) return;
  const settings = await config().catch(() => ({}));
  if (!settings.webSocketUrl || socket) return;
  socket = new WebSocket(settings.webSocketUrl);
  socket.addEventListener("open", () => {
    retryDelay = 1000;
    statusListener("connected");
  });
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    for (const listener of listeners) listener(normalize(message));
  });
  socket.addEventListener("close", () => {
    socket = null;
    statusListener("reconnecting");
    // Back off up to 30 s; a viewer on a bad network should not hammer the API.
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30_000);
  });
  socket.addEventListener("error", () => socket?.close());
}

/** One shape for whatever the backend sends: `{type, videoId, channelId, status, raw}`. */
export function normalize(message) {
  const detail = message.detail || message.data || message;
  return {
    type: message.type || message["detail-type"] || message.event || "",
    videoId: detail.video_id || detail.videoId || null,
    channelId: detail.channel_id || detail.channelId || null,
    status: detail.status || detail.to || null,
    raw: message,
  };
}
