"""Lambda entry points of the generative service beyond plugins: title feedback, Transcribe completions."""
