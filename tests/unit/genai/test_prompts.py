import pytest

from services.genai import prompts


@pytest.mark.parametrize("name", prompts.names())
def test_given_a_catalog_prompt_when_loaded_then_its_body_matches_its_versioned_hash(name: str) -> None:
    prompt = prompts.load(name)
    assert prompt.version.startswith(f"{name}/v")
    assert "{transcript}" in prompt.user_template


def test_given_the_catalog_then_it_holds_the_titles_and_avatars_prompts() -> None:
    assert {"titles", "avatars"} <= set(prompts.names())


def test_given_a_prompt_edited_without_a_new_version_when_parsed_then_it_is_refused() -> None:
    text = (prompts.CATALOG_DIR / "titles.prompt").read_text()
    with pytest.raises(prompts.PromptVersionError, match="without a new version"):
        prompts.parse("titles", text.replace("never invent facts", "invent facts freely"))


def test_given_a_prompt_with_a_new_body_and_its_hash_when_parsed_then_it_loads() -> None:
    body = "=== system ===\nBe brief.\n=== user ===\n{transcript}\n"
    prompt = prompts.parse("t", f"version: t/v2\nsha256: {prompts.body_sha256(body)}\n---\n{body}")
    assert (prompt.version, prompt.system, prompt.user(transcript="x")) == ("t/v2", "Be brief.", "x")


def test_given_no_header_when_parsed_then_it_is_refused() -> None:
    with pytest.raises(prompts.PromptVersionError):
        prompts.parse("t", "=== system ===\nx\n=== user ===\ny")
