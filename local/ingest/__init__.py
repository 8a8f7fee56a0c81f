"""The local cloud's RTMP ingest: nginx-rtmp checks stream keys with the IVS service, ffmpeg records
IVS-style HLS
into S3, and the ingest emits the `aws.ivs` events IVS emits."""

from local.ingest.ingest import ChannelBusyError, Ingest, PublishTarget, StreamRecord
from local.ingest.nginx import IngestUnavailableError, environment_ready, free_port
from local.ingest.recorder import RENDITION_HEIGHTS, RecordingSettings

__all__ = [
    "RENDITION_HEIGHTS",
    "ChannelBusyError",
    "Ingest",
    "IngestUnavailableError",
    "PublishTarget",
    "RecordingSettings",
    "StreamRecord",
    "environment_ready",
    "free_port",
]
