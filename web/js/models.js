// One reading of the API's video and channel records: views use these, never the raw field names.

const first = (...values) => values.find((value) => value !== undefined && value !== null && value !== "");

function url(value) {
  if (!value) return null;
  if (typeof value === "string") return value;
  return first(value.url, value.href, value.presigned_url) || null;
}

/**
 * A video as the API returns it (`services/video` `VideoView`): media URLs under `media`, plugins' outputs under
 * `fields`, where every projected `*_key` has a presigned `*_url` sibling (captions, transcript, avatar images).
 */
export function readVideo(record = {}) {
  const fields = record.fields || {};
  const media = record.media || {};
  const thumbnails = media.thumbnail_urls || [];
  const avatars = (Array.isArray(fields.avatars) ? fields.avatars : []).map((avatar) => ({
    url: url(first(avatar.image_url, avatar.url)),
    name: avatar.name || "",
    description: avatar.description || "",
  })).filter((avatar) => avatar.url);
  const candidates = Array.isArray(fields.title_candidates) ? fields.title_candidates : [];
  return {
    id: record.video_id,
    channelId: record.channel_id,
    channelName: first(record.channel_name, fields.channel_name, ""),
    ownerId: record.owner_id,
    status: record.status,
    title: first(record.title, fields.title, fields.provisional_title, "Untitled video"),
    description: first(fields.description, ""),
    tags: (Array.isArray(fields.tags) ? fields.tags : []).filter((tag) => typeof tag === "string"),
    durationMs: record.duration_ms,
    createdAt: first(record.published_at, record.created_at),
    thumbnail: url(first(thumbnails[0], media.poster_url)),
    poster: url(media.poster_url),
    mp4: url(media.mp4_url),
    hls: url(media.hls_url),
    captions: url(fields.captions_url),
    language: first(fields.language, "en"),
    segments: [],
    avatars,
    titleCandidates: candidates.map((candidate) => ({
      id: candidate.candidate_id, text: candidate.title, evidence: candidate.evidence || [],
    })).filter((candidate) => candidate.id && candidate.text),
    selectedTitle: first(fields.title, record.title, null),
    titleAttemptsLeft: first(fields.title_rounds_left, fields.title_attempts_left),
    reason: first(record.reason, ""),
    raw: record,
  };
}

export function readChannel(raw = {}) {
  return {
    id: first(raw.channel_id, raw.id),
    name: first(raw.name, raw.display_name, "Unnamed channel"),
    live: Boolean(raw.live),
    liveSince: raw.live_since,
    // How many watch right now (IVS's viewer count; the local ingest's players), when live.
    viewerCount: typeof raw.viewer_count === "number" ? raw.viewer_count : null,
    playbackUrl: raw.playback_url,
    ingestServer: raw.ingest?.server || (raw.ingest_endpoint ? `rtmps://${raw.ingest_endpoint}:443/app/` : ""),
    ingestEndpoint: raw.ingest?.endpoint || raw.ingest_endpoint || "",
    streamKey: raw.stream_key || null,
    streamKeyId: raw.stream_key_id,
    createdAt: raw.created_at,
    reconnectWindowSeconds: raw.reconnect_window_seconds,
    resumeDeadline: raw.resume_deadline || null,
    raw,
  };
}
