"""Clean failures of generative tasks; the plugin reports them as `Plugin.Completed` with status `failed`."""


class GenerationError(Exception):
    """A task could not produce a valid output; `code` goes into the plugin's error."""

    code = "GenerationFailed"


class EmptyTranscriptError(GenerationError):
    code = "EmptyTranscript"


class InvalidModelOutputError(GenerationError):
    code = "InvalidModelOutput"


class PromptLeakError(GenerationError):
    code = "PromptLeak"


class ModelChecksumError(GenerationError):
    code = "ModelChecksumMismatch"


class RegenerationLimitError(GenerationError):
    code = "RegenerationLimitReached"
