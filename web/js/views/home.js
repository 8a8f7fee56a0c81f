// Home: channels live right now and the newest published videos, refreshed by live updates.

import { api, page } from "../api.js";
import { subscribe } from "../live.js";
import { readChannel, readVideo } from "../models.js";
import { pagesOf } from "../paging.js";
import { href, navigate } from "../router.js";
import { emptyState, formatDuration, h, notice, relativeTime, render } from "../ui.js";

export async function homeView(query = new URLSearchParams()) {
  const liveSection = h("section.section", { "aria-labelledby": "live-heading" },
    h("h2", { id: "live-heading" }, "Live now"), h("p.loading", {}, "Loading live channels…"));
  const videoSection = h("section.section", { "aria-labelledby": "recent-heading" },
    h("h2", { id: "recent-heading" }, "Recent videos"), h("p.loading", {}, "Loading videos…"));
  render("", h("h1.visually-hidden", {}, "svideo: live and recent videos"), liveSection, videoSection);

  // The page of recent videos is in the URL (`?page=2&token=…`), so reloading or going back keeps it.
  const pages = pagesOf("home", query);
  const pageIndex = pages.number - 1;
  const loadLive = () => fill(liveSection, api.liveChannels(), "channels", renderChannels);
  const loadVideos = () => fill(videoSection, api.videos(pages.token), "videos", (items, nextToken) => {
    pages.seen(nextToken);
    return [renderVideos(items), pager(pageIndex, Boolean(nextToken), (delta) => {
      navigate(pages.search(pages.number + delta) ?? "");
    })];
  });
  await Promise.all([loadLive(), loadVideos()]);

  // A channel going live or a video being published shows up without a reload.
  return subscribe((update) => {
    if (update.resync || /broadcast|live|channel/i.test(update.type)) loadLive();
    if ((update.resync || /publish|video|title/i.test(update.type)) && pageIndex === 0) loadVideos();
  });
}

async function fill(section, promise, key, draw) {
  const heading = section.querySelector("h2");
  try {
    const { items, nextToken } = page(await promise, key);
    section.replaceChildren(heading, ...[draw(items, nextToken)].flat().filter(Boolean));  // no pager: no "null" text
  } catch (error) {
    section.replaceChildren(heading, notice(error.message, { kind: "error" }));
  }
}

function renderChannels(items) {
  const channels = items.map(readChannel).filter((channel) => channel.live);
  if (!channels.length) return emptyState("Nobody is live right now. Live channels appear here as soon as they start.");
  return h("ul.grid", { "aria-label": "Live channels" }, channels.map((channel) => h("li.card", {},
    h("a.card-link", { href: href(`live/${channel.id}`), "data-link": true },
      h("div.thumb.thumb-live", {}, h("span.badge.badge-live", {}, "Live")),
      h("div.card-body", {},
        h("h3.card-title", {}, channel.name),
        channel.liveSince ? h("p.meta", {}, `Started ${relativeTime(channel.liveSince)}`) : null)))));
}

function renderVideos(items) {
  const videos = items.map(readVideo);
  if (!videos.length) return emptyState("No videos yet. Recordings appear here once they are published.");
  return h("ul.grid", { "aria-label": "Recent videos" }, videos.map((video) => videoCard(video)));  // not map(videoCard): its index would become the link
}

export function videoCard(video, link = `watch/${video.id}`) {
  const duration = formatDuration(video.durationMs);
  return h("li.card", {},
    h("a.card-link", { href: href(link), "data-link": true },
      h("div.thumb", {},
        video.thumbnail ? h("img", { src: video.thumbnail, alt: "", loading: "lazy", width: 320, height: 180 }) : null,
        duration ? h("span.duration", { "aria-label": `Duration ${duration}` }, duration) : null),
      h("div.card-body", {},
        video.avatars.length
          ? h("div.avatars", {}, video.avatars.slice(0, 3).map((avatar) =>
            h("img.avatar", { src: avatar.url, alt: avatar.name ? `Avatar: ${avatar.name}` : "", width: 32, height: 32 })))
          : null,
        h("div", {},
          h("h3.card-title", {}, video.title),
          h("p.meta", {}, [video.channelName, video.createdAt ? relativeTime(video.createdAt) : ""].filter(Boolean).join(" · "))))));
}

export function pager(index, hasNext, move) {
  if (!index && !hasNext) return null;
  return h("nav.pager", { "aria-label": "Pages" },
    h("button.button", { type: "button", disabled: index === 0, onclick: () => move(-1) }, "← Newer"),
    h("span", { "aria-live": "polite" }, `Page ${index + 1}`),
    h("button.button", { type: "button", disabled: !hasNext, onclick: () => move(1) }, "Older →"));
}
