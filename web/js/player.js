// A <video> that plays MP4 natively and HLS through the vendored hls.js (natively without MSE), with captions.

import { href } from "./router.js";
import { h } from "./ui.js";

const LIVE_RETRY_MS = 3000;

/** Media Source Extensions (or Safari's ManagedMediaSource): where hls.js can play HLS. */
function mediaSourceAvailable() {
  return typeof window.MediaSource === "function" || typeof window.ManagedMediaSource === "function";
}

/**
 * Returns `{element, video, retry, destroy}`. HLS plays through hls.js wherever Media Source Extensions
 * exist (Chromium claims native HLS but its own player fails on live playlists); the browser's own HLS only
 * where they do not (iOS Safari). `onError(message, retry)` receives playback problems as sentences;
 * `onPlaying()` says playback (re)started. A live stream that cannot play is retried every few seconds.
 */
export function createPlayer({
  mp4, hls, captions, language = "en", poster, live = false, label, onError = () => {}, onPlaying = () => {},
}) {
  const crossOrigin = [mp4, hls, captions].some((value) => value && new URL(value, location.href).origin !== location.origin);
  const video = h("video.player", {
    controls: true,
    playsinline: true,
    preload: "metadata",
    poster: poster || undefined,
    "aria-label": label || "Video player",
    crossorigin: crossOrigin ? "anonymous" : undefined,
  });
  if (live) {
    video.muted = true;  // browsers only autoplay muted; the viewer unmutes with the controls
    video.autoplay = true;
  }
  if (captions) {
    video.append(h("track", { kind: "captions", src: captions, srclang: language, label: languageName(language), default: true }));
  }
  let hlsInstance = null;
  let retryTimer = null;
  let destroyed = false;
  const unreachable = live
    ? "The live stream is not reachable right now. It may be starting or may have paused; retrying…"
    : "This video could not be loaded.";
  const fail = (message) => {
    if (destroyed) return;
    onError(message, retry);
    if (live && !retryTimer) retryTimer = setTimeout(retry, LIVE_RETRY_MS);
  };
  video.addEventListener("playing", () => onPlaying());
  // A live part ends (its playlist closes) when the broadcaster drops; a resumed stream has a new one.
  if (live) video.addEventListener("ended", () => fail(unreachable));

  const useHls = hls && (live || !mp4);
  let start;
  if (useHls && mediaSourceAvailable()) {
    start = () => import(href("vendor/hls.mjs")).then(({ default: Hls }) => {
      if (destroyed) return;
      if (!Hls.isSupported()) {
        onError("This browser cannot play this stream.", null);
        return;
      }
      hlsInstance?.destroy();
      hlsInstance = new Hls({ lowLatencyMode: live, liveSyncDurationCount: 2 });
      hlsInstance.on(Hls.Events.ERROR, (_, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          hlsInstance.recoverMediaError();
          return;
        }
        fail(unreachable);
      });
      hlsInstance.loadSource(hls);
      hlsInstance.attachMedia(video);
      if (live) video.play().catch(() => {});
    }).catch(() => onError("The video player could not be loaded. Reload the page to try again.", null));
  } else if (useHls && video.canPlayType("application/vnd.apple.mpegurl")) {
    video.addEventListener("error", () => fail(unreachable));
    start = () => {
      video.src = hls;
      video.load();
      if (live) video.play().catch(() => {});
    };
  } else if (useHls) {
    onError("This browser cannot play this stream.", null);
  } else if (mp4) {
    video.addEventListener("error", () => fail(unreachable));
    start = () => {
      video.src = mp4;
      video.load();
    };
  } else {
    onError("This video has no playable media yet.", null);
  }

  function retry() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (!destroyed && start) start();
  }
  if (start) start();
  return {
    element: h("div.player-frame", {}, video),
    video,
    retry,
    destroy() {
      destroyed = true;
      clearTimeout(retryTimer);
      hlsInstance?.destroy();
      video.removeAttribute("src");
      video.load();
    },
  };
}

function languageName(code) {
  try {
    return new Intl.DisplayNames([navigator.language || "en"], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

/** The cues of a WebVTT file as `{startMs, text}`: the transcript when the record has no segments. */
export async function loadCues(url) {
  const response = await fetch(url);
  if (!response.ok) return [];
  const text = await response.text();
  const cues = [];
  for (const block of text.replace(/\r/g, "").split(/\n\n+/)) {
    const lines = block.split("\n");
    const timing = lines.findIndex((line) => line.includes("-->"));
    if (timing < 0) continue;
    const start = lines[timing].split("-->")[0].trim();
    const body = lines.slice(timing + 1).join(" ").replace(/<[^>]+>/g, "").trim();
    if (body) cues.push({ startMs: parseTimestamp(start), text: body });
  }
  return cues;
}

function parseTimestamp(value) {
  const parts = value.split(":").map(Number);
  while (parts.length < 3) parts.unshift(0);
  const [hours, minutes, seconds] = parts;
  return Math.round(((hours * 60 + minutes) * 60 + seconds) * 1000);
}
