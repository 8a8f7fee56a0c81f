"""Lifecycle rules every versioned bucket of svideo carries: old versions and stale markers do not pile up."""

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3


def versioned_bucket_rules(noncurrent_retention: cdk.Duration) -> list[s3.LifecycleRule]:
    """Noncurrent versions expire after `noncurrent_retention` (the window to recover an overwritten or
    deleted object); delete markers with no versions left go; incomplete uploads abort after a day."""
    return [
        s3.LifecycleRule(id="expire-noncurrent-versions", noncurrent_version_expiration=noncurrent_retention),
        s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
        s3.LifecycleRule(id="abort-uploads", abort_incomplete_multipart_upload_after=cdk.Duration.days(1)),
    ]
