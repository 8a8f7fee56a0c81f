// A channel's page: its name, whether it is live (since when, how many watch), and its published videos.
// The page of videos is in the URL (`channels/<id>?page=2&token=…`); live updates refresh it in place.

import { api, page } from "../api.js";
import { subscribe } from "../live.js";
import { readChannel, readVideo } from "../models.js";
import { pagesOf } from "../paging.js";
import { href, navigate } from "../router.js";
import { emptyState, formatDate, h, notice, relativeTime, render } from "../ui.js";
import { pager, videoCard } from "./home.js";

export function channelLink(channelId) {
  return `channels/${encodeURIComponent(channelId)}`;
}

export async function channelView(channelId, query) {
  render("Loading channel", h("p.loading", {}, "Loading the channel…"));
  const pages = pagesOf(`channel:${channelId}`, query);
  const show = async () => {
    let channel;
    try {
      channel = readChannel(await api.channel(channelId));
    } catch (error) {
      render("Channel not available", h("h1", {}, "This channel is not available"), notice(error.message, { kind: "error" }),
        h("p", {}, h("a", { href: href(""), "data-link": true }, "Back to all videos")));
      return;
    }
    const videos = h("section.section", { "aria-labelledby": "channel-videos-heading" },
      h("h2", { id: "channel-videos-heading" }, "Videos"), h("p.loading", {}, "Loading videos…"));
    render(channel.name,
      h("h1", {}, channel.name, " ", channel.live ? h("span.badge.badge-live", {}, "Live") : h("span.badge", {}, "Offline")),
      h("section.section.channel-state", { "aria-label": "Live state", "data-testid": "channel-state" },
        channel.live
          ? [
            h("p.meta", {},
              channel.liveSince ? `Live since ${formatDate(channel.liveSince)} (${relativeTime(channel.liveSince)})` : "Live now",
              typeof channel.viewerCount === "number"
                ? [" · ", h("span", { "data-testid": "viewer-count" }, `${channel.viewerCount} watching`)] : null),
            h("a.button.primary", { href: href(`live/${channel.id}`), "data-link": true }, "Watch live"),
          ]
          : h("p.meta", {}, "Offline. This page updates when the channel goes live.")),
      videos);
    try {
      const { items, nextToken } = page(await api.channelVideos(channelId, pages.token, 12), "videos");
      pages.seen(nextToken);
      const published = items.map(readVideo).filter((video) => video.status === "published")
        .map((video) => ({ ...video, channelName: video.channelName || channel.name }));
      videos.replaceChildren(videos.firstChild,
        published.length
          ? h("ul.grid", { "aria-label": `Videos of ${channel.name}` }, published.map((video) => videoCard(video)))
          : emptyState("No published videos yet."),
        pager(pages.number - 1, Boolean(nextToken), (delta) => {
          navigate(channelLink(channelId) + (pages.search(pages.number + delta) ?? ""));
        }));
    } catch (error) {
      videos.replaceChildren(videos.firstChild, notice(error.message, { kind: "error" }));
    }
  };
  await show();
  return subscribe((update) => {
    if (update.resync || update.channelId === channelId) show();
  });
}
