// A <video> that plays MP4 natively and HLS natively or through the vendored hls.js, with a captions track.

import { href } from "./router.js";
import { h } from "./ui.js";

/** Returns `{element, video, destroy}`; `onError(message)` receives playback problems as sentences. */
export function createPlayer({ mp4, hls, captions, language = "en", poster, live = false, label, onError = () => {} }) {
  const crossOrigin = [mp4, hls, captions].some((value) => value && new URL(value, location.href).origin !== location.origin);
  const video = h("video.player", {
    controls: true,
    playsinline: true,
    preload: "metadata",
    poster: poster || undefined,
    "aria-label": label || "Video player",
    crossorigin: crossOrigin ? "anonymous" : undefined,
  });
  if (captions) {
    video.append(h("track", { kind: "captions", src: captions, srclang: language, label: languageName(language), default: true }));
  }
  let hlsInstance = null;
  const useHls = hls && (live || !mp4);
  if (useHls && video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = hls;
  } else if (useHls) {
    import(href("vendor/hls.mjs")).then(({ default: Hls }) => {
      if (!Hls.isSupported()) {
        onError("This browser cannot play this stream.");
        return;
      }
      hlsInstance = new Hls({ lowLatencyMode: live, liveSyncDurationCount: 2 });
      hlsInstance.on(Hls.Events.ERROR, (_, data) => {
        if (!data.fatal) return;
        onError(live
          ? "The live stream is not reachable right now. It may be starting or may have ended."
          : "This video could not be loaded. Try again in a moment.");
        if (live) setTimeout(() => hlsInstance?.loadSource(hls), 3000);
      });
      hlsInstance.loadSource(hls);
      hlsInstance.attachMedia(video);
    }).catch(() => onError("The video player could not be loaded. Reload the page to try again."));
  } else if (mp4) {
    video.src = mp4;
    video.addEventListener("error", () => onError("This video could not be loaded. Try again in a moment."));
  } else {
    onError("This video has no playable media yet.");
  }
  return {
    element: h("div.player-frame", {}, video),
    video,
    destroy() {
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
