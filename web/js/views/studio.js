// The broadcaster's studio: channels (create, ingest settings, stream key) and their videos' progress.

import { api, page } from "../api.js";
import { keepDraft } from "../drafts.js";
import { subscribe } from "../live.js";
import { readChannel, readVideo } from "../models.js";
import { href, navigate } from "../router.js";
import { busy, copyButton, emptyState, field, formatDuration, h, notice, relativeTime, render, scrollTable, showErrors, statusBadge, toast } from "../ui.js";

// A stream key is only in the create/rotate response: it lives in memory for this page visit, never in storage.
const freshKeys = new Map();

export async function studioView() {
  const channels = h("section.section", { "aria-labelledby": "channels-heading" }, h("h2", { id: "channels-heading" }, "Your channels"));
  const videos = h("section.section", { "aria-labelledby": "videos-heading" }, h("h2", { id: "videos-heading" }, "Your videos"));
  render("Studio", h("h1", {}, "Studio"), channels, createChannelForm(), videos);
  const loadChannels = async () => {
    try {
      const { items } = page(await api.myChannels(), "channels");
      const list = items.map(readChannel);
      myChannels = list;
      channels.replaceChildren(channels.firstChild, list.length
        ? h("ul.list.channel-list", {}, list.map((channel) => h("li", {},
          h("a", { href: href(`studio/channels/${channel.id}`), "data-link": true }, channel.name), " ",
          channel.live ? h("span.badge.badge-live", {}, "Live") : h("span.badge", {}, "Offline"))))
        : firstChannelGuide());
    } catch (error) {
      channels.replaceChildren(channels.firstChild, notice(error.message, { kind: "error" }));
    }
  };
  let myChannels = [];
  const loadVideos = async () => {
    try {
      const names = new Map(myChannels.map((channel) => [channel.id, channel.name]));
      const list = (await ownVideos(myChannels)).map(readVideo)
        .map((video) => ({ ...video, channelName: names.get(video.channelId) || video.channelName }))
        .filter((video) => video.status !== "deleted")
        .sort((a, b) => String(b.raw.created_at).localeCompare(String(a.raw.created_at)));
      videos.replaceChildren(videos.firstChild, list.length
        ? scrollTable("Your videos", h("table.table", {},
          h("caption.visually-hidden", {}, "Your videos and their processing status"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Channel"),
            h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Length"), h("th", { scope: "col" }, "Created"))),
          h("tbody", {}, list.map((video) => h("tr", {},
            h("td", {}, h("a", { href: href(`studio/videos/${video.id}`), "data-link": true }, video.title)),
            h("td", {}, video.channelName),
            h("td", {}, statusBadge(video.status)),
            h("td", {}, formatDuration(video.durationMs)),
            h("td", {}, relativeTime(video.raw.created_at)))))))
        : emptyState("No videos yet. Go live and your recording appears here while it is processed."));
    } catch (error) {
      videos.replaceChildren(videos.firstChild, notice(error.message, { kind: "error" }));
    }
  };
  await loadChannels();
  await loadVideos();
  return subscribe((update) => {
    if (update.channelId) loadChannels();  // not on resync: the page holds the new channel's form
    if (update.videoId) loadVideos();
  });
}

function firstChannelGuide() {
  return h("div.empty", { "data-testid": "first-channel-guide" },
    h("p", {}, "You have no channel yet. Going live takes three steps:"),
    h("ol", {},
      h("li", {}, "Name your channel below and create it."),
      h("li", {}, "Copy its server and stream key into OBS (Settings → Stream → Custom), or use the ffmpeg command it shows."),
      h("li", {}, "Start streaming: viewers see you under Live now, and when you stop, the recording becomes a video here.")));
}

/** `/me/videos`; where the video service predates it (404), each channel's list, which owners see in full. */
async function ownVideos(channels) {
  try {
    return page(await api.myVideos(), "videos").items;
  } catch (error) {
    if (error.status !== 404) throw error;
    const pages = await Promise.all(channels.map((channel) => api.channelVideos(channel.id)));
    return pages.flatMap((payload) => page(payload, "videos").items);
  }
}

function createChannelForm() {
  const form = h("form.form.card-form", { novalidate: true, "aria-labelledby": "create-channel-heading" },
    h("h2", { id: "create-channel-heading" }, "Create a channel"),
    field({ name: "name", label: "Channel name", required: true, hint: "What viewers see, for example “Lambda Lancer”.", attrs: { maxlength: 100 } }),
    windowField(""),
    h("button.button.primary", { type: "submit" }, "Create channel"));
  const draft = keepDraft(form, "create-channel");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    if (!name) return showErrors(form, { message: "", fieldErrors: [{ location: "name", message: "Give the channel a name" }] });
    const window = form.elements.reconnect_window_seconds.value.trim();
    const button = form.querySelector("button[type=submit]");
    busy(button, true, "Creating…");
    try {
      const channel = readChannel(await api.createChannel(name, window === "" ? null : Number(window)));
      draft.clear();
      freshKeys.set(channel.id, channel.streamKey);
      toast(`Channel “${channel.name}” created.`, "success");
      navigate(`studio/channels/${channel.id}`);
    } catch (error) {
      busy(button, false);
      showErrors(form, error);
    }
  });
  return form;
}

export async function channelSetupView(channelId) {
  let channel;
  try {
    channel = readChannel(await api.channel(channelId));
  } catch (error) {
    render("Channel", h("h1", {}, "Channel"), notice(error.message, { kind: "error" }));
    return;
  }
  const keySlot = h("div.key-slot");
  const drawKey = () => keySlot.replaceChildren(streamKeyBlock(channel, freshKeys.get(channel.id), async (button) => {
    if (!confirm("Rotating the stream key stops any broadcast using the old key, and OBS or ffmpeg must use the new one. Rotate now?")) return;
    busy(button, true, "Rotating…");
    try {
      const rotated = readChannel(await api.rotateKey(channel.id));
      freshKeys.set(channel.id, rotated.streamKey);
      toast("The stream key was rotated. Update OBS or ffmpeg with the new key.", "success");
      drawKey();
      keySlot.querySelector("button")?.focus();
    } catch (error) {
      busy(button, false);
      toast(error.message, "error");
    }
  }));
  drawKey();
  const server = channel.ingestServer;
  const resume = resumeCountdown(channel);
  render(channel.name,
    h("p", {}, h("a", { href: href("studio"), "data-link": true }, "← Studio")),
    h("h1", {}, channel.name, " ", channel.live ? h("span.badge.badge-live", {}, "Live") : h("span.badge", {}, "Offline")),
    h("p", {}, "Viewers watch at ", h("a", { href: href(`live/${channel.id}`), "data-link": true }, "this channel’s page"), "."),
    resume.element,
    h("section.section", { "aria-labelledby": "ingest-heading" },
      h("h2", { id: "ingest-heading" }, "Ingest settings"),
      h("dl.settings", {},
        h("dt", {}, "Server (OBS “Server”)"),
        h("dd", {}, h("code", { "data-testid": "ingest-server" }, server), " ", copyButton(() => server, "Copy server"))),
      keySlot),
    h("section.section", { "aria-labelledby": "howto-heading" },
      h("h2", { id: "howto-heading" }, "Go live"),
      h("h3", {}, "OBS"),
      h("ol", {},
        h("li", {}, "Settings → Stream → Service: Custom…"),
        h("li", {}, "Server: ", h("code", {}, server)),
        h("li", {}, "Stream Key: the key above"),
        h("li", {}, "Settings → Output: keyframe interval 2 s, bitrate up to 6000 Kbps; Video: 1280×720 or 1920×1080, 30 fps")),
      h("h3", {}, "ffmpeg"),
      // Focusable and labelled: at phone width the command scrolls sideways, keyboard users can scroll it too.
      h("pre.command", { "data-testid": "ffmpeg-command", tabindex: "0", role: "region", "aria-label": "ffmpeg command" }, ffmpegCommand(server)),
      copyButton(() => ffmpegCommand(server), "Copy ffmpeg command"),
      h("p.hint", {}, "Replace $STREAM_KEY with your key, or export it first: export STREAM_KEY=…")),
    windowSettings(channel),
    h("section.section.danger-zone", { "aria-labelledby": "danger-heading" },
      h("h2", { id: "danger-heading" }, "Delete this channel"),
      h("p", {}, "Deleting the channel stops its ingest. Its published videos stay."),
      h("button.button.danger", {
        type: "button",
        onclick: async (event) => {
          if (!confirm(`Delete the channel “${channel.name}”?`)) return;
          busy(event.currentTarget, true, "Deleting…");
          try {
            await api.deleteChannel(channel.id);
            toast("Channel deleted.", "success");
            navigate("studio");
          } catch (error) {
            busy(event.currentTarget, false);
            toast(error.message, "error");
          }
        },
      }, "Delete channel")));
  const unsubscribe = subscribe(async (update) => {
    if (!update.resync && update.channelId !== channel.id) return;
    try {
      resume.update(readChannel(await api.channel(channel.id)));
    } catch {
      // the page keeps its last state; the next update tries again
    }
  });
  return () => {
    unsubscribe();
    resume.stop();
    freshKeys.delete(channel.id);
  };
}

function windowField(value) {
  return field({
    name: "reconnect_window_seconds", label: "Reconnect window (seconds)", type: "number", value: value === "" ? "" : String(value),
    hint: "0 to 300. If your stream drops and you resume within this time, it stays one video. "
      + "The video is processed this long after you stop. Leave empty for the default (60 s).",
    attrs: { min: 0, max: 300, step: 1, inputmode: "numeric" },
  });
}

function windowSettings(channel) {
  const form = h("form.form", { novalidate: true, "aria-labelledby": "window-heading" },
    h("h2", { id: "window-heading" }, "Reconnect window"),
    windowField(channel.reconnectWindowSeconds ?? ""),
    h("button.button", { type: "submit" }, "Save window"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const raw = form.elements.reconnect_window_seconds.value.trim();
    const button = form.querySelector("button[type=submit]");
    busy(button, true, "Saving…");
    try {
      const saved = readChannel(await api.updateChannel(channel.id, { reconnect_window_seconds: raw === "" ? null : Number(raw) }));
      channel.reconnectWindowSeconds = saved.reconnectWindowSeconds;
      busy(button, false);
      toast(`Reconnect window set to ${saved.reconnectWindowSeconds} s.`, "success");
    } catch (error) {
      busy(button, false);
      showErrors(form, error);
    }
  });
  return h("section.section", {}, form);
}

/** "Waiting 42 s for you to resume": while a dropped broadcast may still join the same recording. */
function resumeCountdown(initial) {
  const element = h("p.notice.notice-info", { role: "status", "data-testid": "resume-countdown", hidden: true });
  let deadline = null;
  let timer = null;
  const tick = () => {
    const left = deadline ? Math.ceil((deadline - Date.now()) / 1000) : 0;
    if (left > 0) {
      element.textContent = `Your broadcast stopped. Waiting ${left} s for you to resume; after that the recording ends and becomes a video.`;
      element.hidden = false;
    } else {
      element.hidden = true;
      clearInterval(timer);
      timer = null;
    }
  };
  const update = (channel) => {
    deadline = channel.live || !channel.resumeDeadline ? null : Date.parse(channel.resumeDeadline);
    if (!timer && deadline) timer = setInterval(tick, 1000);
    tick();
  };
  update(initial);
  return { element, update, stop: () => clearInterval(timer) };
}

function streamKeyBlock(channel, key, rotate) {
  const rotateButton = h("button.button", { type: "button", onclick: (event) => rotate(event.currentTarget) }, key ? "Rotate key" : "Rotate key to get a new one");
  if (!key) {
    return h("div.stream-key", {},
      h("h3", {}, "Stream key"),
      h("p", {}, `The key (id ${channel.streamKeyId || "unknown"}) was shown once, when it was created. `
        + "If you no longer have it, rotate it to get a new one; the old key stops working."),
      rotateButton);
  }
  const value = h("code.secret", { "data-testid": "stream-key", hidden: true }, key);
  const masked = h("code.secret-mask", { "aria-hidden": "true" }, "•".repeat(24));
  const reveal = h("button.button", { type: "button", "aria-pressed": "false" }, "Reveal key");
  reveal.addEventListener("click", () => {
    const showing = value.hidden;
    value.hidden = !showing;
    masked.hidden = showing;
    reveal.textContent = showing ? "Hide key" : "Reveal key";
    reveal.setAttribute("aria-pressed", String(showing));
  });
  return h("div.stream-key", {},
    h("h3", {}, "Stream key"),
    h("p.warning", { role: "note" }, "Anyone with this key can broadcast on your channel. Do not share it or show it on stream. "
      + "It is shown only now: copy it into OBS or a password manager."),
    h("p", {}, masked, value),
    h("div.actions", {}, reveal, copyButton(() => key, "Copy key"), rotateButton));
}

export function ffmpegCommand(server) {
  const target = `${server.replace(/\/?$/, "/")}$STREAM_KEY`;
  return [
    "ffmpeg -re -i input.mp4 \\",
    "  -c:v libx264 -preset veryfast -b:v 3000k -maxrate 3000k -bufsize 6000k -pix_fmt yuv420p -g 60 \\",
    "  -c:a aac -b:a 160k -ar 44100 \\",
    `  -f flv "${target}"`,
  ].join("\n");
}
