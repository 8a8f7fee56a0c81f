"""A plugin whose work finishes later (a template): an Amazon Transcribe job, answered when it ends."""
