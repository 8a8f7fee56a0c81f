// One reading of the API's video and channel records: views use these, never the raw field names.

const first = (...values) => values.find((value) => value !== undefined && value !== null && value !== "");

function url(value) {
  if (!value) return null;
  if (typeof value === "string") return value;
  return first(value.url, value.href, value.presigned_url) || null;
}

export function readVideo(record = {}) {
  // Plugins' outputs are projected under `fields` (description, tags, captions, avatars, title candidates).
  const raw = { ...(record.fields || {}), ...record };
  const media = raw.media || {};
  const transcript = raw.transcript || {};
  const thumbnails = raw.thumbnails || media.thumbnail_urls || media.thumbnails || [];
  const avatars = (raw.avatars || []).map((avatar) => ({
    url: typeof avatar === "object" ? first(avatar.image_url, avatar.url) : url(avatar),
    name: (typeof avatar === "object" && (avatar.name || avatar.character)) || "",
  })).filter((avatar) => avatar.url);
  return {
    id: first(raw.video_id, raw.id),
    channelId: first(raw.channel_id, raw.channel?.channel_id),
    channelName: first(raw.channel_name, raw.channel?.name, ""),
    ownerId: raw.owner_id,
    status: raw.status,
    title: first(raw.title, raw.selected_title, raw.provisional_title, "Untitled video"),
    description: first(raw.description, ""),
    tags: (raw.tags || []).map((tag) => (typeof tag === "string" ? tag : tag.text)).filter(Boolean),
    durationMs: first(raw.duration_ms, media.duration_ms, raw.recording?.duration_ms),
    createdAt: first(raw.published_at, raw.created_at),
    thumbnail: url(first(raw.thumbnail_url, media.poster_url, raw.poster_url, thumbnails[0])),
    poster: url(first(media.poster_url, raw.poster_url, raw.thumbnail_url, thumbnails[0])),
    mp4: url(first(raw.mp4_url, raw.playback?.mp4, media.mp4_url, media.mp4)),
    hls: url(first(raw.hls_url, raw.playback?.hls, media.hls_url, media.hls_master)),
    captions: url(first(raw.captions_url, raw.vtt_url, transcript.vtt_url, transcript.captions_url, raw.captions)),
    language: first(transcript.language, raw.language, "en"),
    segments: (transcript.segments || raw.segments || []).map((segment) => ({
      startMs: first(segment.start_ms, Math.round((segment.start || 0) * 1000)),
      text: segment.text,
    })),
    avatars,
    titleCandidates: (raw.title_candidates || []).map((candidate) =>
      (typeof candidate === "string" ? { id: candidate, text: candidate } : { id: first(candidate.candidate_id, candidate.title), text: first(candidate.title, candidate.text), evidence: candidate.evidence })),
    selectedTitle: first(raw.selected_title, raw.title_selected, null),
    titleAttemptsLeft: first(raw.title_attempts_left, raw.regenerations_left),
    reason: first(raw.reason, raw.status_reason, ""),
    plugins: raw.plugins || raw.plugin_results || [],
    raw,
  };
}

export function readChannel(raw = {}) {
  return {
    id: first(raw.channel_id, raw.id),
    name: first(raw.name, raw.display_name, "Unnamed channel"),
    live: Boolean(raw.live),
    liveSince: raw.live_since,
    playbackUrl: raw.playback_url,
    ingestServer: raw.ingest?.server || (raw.ingest_endpoint ? `rtmps://${raw.ingest_endpoint}:443/app/` : ""),
    ingestEndpoint: raw.ingest?.endpoint || raw.ingest_endpoint || "",
    streamKey: raw.stream_key || null,
    streamKeyId: raw.stream_key_id,
    createdAt: raw.created_at,
    raw,
  };
}
