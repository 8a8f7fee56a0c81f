// Watch pages: an on-demand video with captions and a click-to-seek transcript, and a live channel.

import { api, page } from "../api.js";
import { subscribe } from "../live.js";
import { readChannel, readVideo } from "../models.js";
import { createPlayer, loadCues } from "../player.js";
import { href } from "../router.js";
import { channelLink } from "./channel.js";
import { formatDate, formatDuration, formatTimestamp, h, notice, relativeTime, render, statusBadge } from "../ui.js";

export async function watchView(videoId) {
  render("Loading video", h("p.loading", {}, "Loading the video…"));
  let player = null;
  const show = async () => {
    let video;
    try {
      video = readVideo(await api.video(videoId));
    } catch (error) {
      render("Video not available", h("h1", {}, "This video is not available"), notice(error.message, { kind: "error" }),
        h("p", {}, h("a", { href: href(""), "data-link": true }, "Back to all videos")));
      return;
    }
    player?.destroy();
    const problems = h("div", { "aria-live": "polite" });
    player = createPlayer({
      mp4: video.mp4, hls: video.hls, captions: video.captions, language: video.language, poster: video.poster,
      label: `Video: ${video.title}`, ...reportTo(problems),
    });
    const transcript = h("section.transcript", { "aria-labelledby": "transcript-heading" },
      h("h2", { id: "transcript-heading" }, "Transcript"));
    render(video.title,
      h("div.watch", {},
        h("div.watch-main", {},
          player.element, problems,
          h("h1.video-title", {}, video.title),
          h("p.meta", {},
            video.status !== "published" ? [statusBadge(video.status), " "] : null,
            video.channelId
              ? [h("a", { href: href(channelLink(video.channelId)), "data-link": true, "data-testid": "channel-link" },
                video.channelName || "Channel"), " · "]
              : null,
            [video.durationMs ? formatDuration(video.durationMs) : "", video.createdAt ? formatDate(video.createdAt) : ""]
              .filter(Boolean).join(" · ")),
          video.avatars.length ? h("ul.avatar-row", { "aria-label": "Characters" }, video.avatars.map((avatar) =>
            h("li", {}, h("img.avatar.avatar-large", { src: avatar.url, alt: avatar.name || "Avatar", width: 64, height: 64 }),
              avatar.name ? h("span", {}, avatar.name) : null))) : null,
          video.description ? h("p.description", {}, video.description) : null,
          video.tags.length ? h("ul.tags", { "aria-label": "Tags" }, video.tags.map((tag) => h("li.tag", {}, tag))) : null),
        h("aside.watch-side", {}, transcript)));
    fillTranscript(transcript, video, player.video);
  };
  await show();
  const unsubscribe = subscribe((update) => {
    if (update.videoId === videoId) show();  // not on resync: it would restart the player
  });
  return () => {
    unsubscribe();
    player?.destroy();
  };
}

/** A player's problems shown in `box` with a Retry button, cleared once it plays. */
function reportTo(box) {
  return {
    onError: (message, retry) => box.replaceChildren(notice(message, {
      kind: "error",
      action: retry ? h("button.button", { type: "button", onclick: () => retry() }, "Retry") : null,
    })),
    onPlaying: () => box.replaceChildren(),
  };
}

async function fillTranscript(section, video, media) {
  let segments = video.segments;
  if (!segments.length && video.captions) segments = await loadCues(video.captions).catch(() => []);
  if (!segments.length) {
    section.append(h("p.muted", {}, video.status === "published"
      ? "There is no transcript for this video."
      : "The transcript appears here once the video has been processed."));
    return;
  }
  const items = segments.map((segment) => h("li", {},
    h("button.segment", {
      type: "button",
      dataset: { start: segment.startMs },
      onclick: () => {
        media.currentTime = segment.startMs / 1000;
        media.play().catch(() => {});
      },
    },
    // The name comes from the content, so it holds the visible text (WCAG 2.5.3): "Play from 0:12: <line>".
    h("span.visually-hidden", {}, "Play from "), h("span.timestamp", {}, formatTimestamp(segment.startMs)),
    h("span.visually-hidden", {}, ": "), h("span", {}, segment.text))));
  section.append(h("p.hint", {}, "Select a line to play the video from there."), h("ol.segments", {}, items));
  media.addEventListener("timeupdate", () => {
    const now = media.currentTime * 1000;
    let active = -1;
    segments.forEach((segment, index) => { if (segment.startMs <= now) active = index; });
    items.forEach((item, index) => item.firstChild.classList.toggle("active", index === active));
  });
}

export async function liveView(channelId) {
  render("Loading channel", h("p.loading", {}, "Loading the channel…"));
  let player = null;
  let shown = null;  // the live state on screen: an update that keeps it leaves a playing player alone
  let recent = null;
  const show = async () => {
    let channel;
    try {
      channel = readChannel(await api.channel(channelId));
    } catch (error) {
      render("Channel not available", h("h1", {}, "This channel is not available"), notice(error.message, { kind: "error" }));
      return;
    }
    const state = `${channel.live}|${channel.playbackUrl}|${channel.liveSince}`;
    if (state === shown && recent) {
      await fillRecordings(recent, channelId);
      return;
    }
    shown = state;
    player?.destroy();
    player = null;
    const problems = h("div", { "aria-live": "polite" });
    recent = h("section.section", { "aria-labelledby": "channel-videos" }, h("h2", { id: "channel-videos" }, "Recordings"));
    let stage;
    if (channel.live && channel.playbackUrl) {
      player = createPlayer({
        hls: channel.playbackUrl, live: true, label: `Live: ${channel.name}`, ...reportTo(problems),
      });
      stage = [player.element, problems];
    } else {
      stage = [notice("This channel is offline. Its recordings are below; this page updates when it goes live again.")];
    }
    render(channel.name,
      h("div.watch-main", {},
        stage,
        h("h1.video-title", {}, channel.name, " ", channel.live ? h("span.badge.badge-live", {}, "Live") : h("span.badge", {}, "Offline")),
        channel.live && channel.liveSince ? h("p.meta", {}, `Live since ${relativeTime(channel.liveSince)}`) : null),
      recent);
    await fillRecordings(recent, channelId);
  };
  await show();
  const unsubscribe = subscribe((update) => {
    if (update.resync || update.channelId === channelId) show();
  });
  return () => {
    unsubscribe();
    player?.destroy();
  };
}

async function fillRecordings(section, channelId) {
  let content;
  try {
    const { items } = page(await api.channelVideos(channelId), "videos");
    const videos = items.map(readVideo).filter((video) => video.status === "published");
    content = videos.length
      ? h("ul.list", {}, videos.map((video) => h("li", {},
        h("a", { href: href(`watch/${video.id}`), "data-link": true }, video.title),
        h("span.meta", {}, ` · ${formatDuration(video.durationMs)}`))))
      : h("p.muted", {}, "No recordings yet.");
  } catch (error) {
    content = notice(error.message, { kind: "error" });
  }
  section.replaceChildren(section.firstChild, content);
}
