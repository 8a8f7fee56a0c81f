"""The AWS output-guardrail detector against botocore's ApplyGuardrail request and response shapes."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from services.genai.aws_guardrail import BedrockGuardrailDetector
from services.genai.output_guard import OutputGuard
from tests.genai_corpus import segments_from_text


def _client() -> tuple[object, Stubber]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")  # fmt: skip
    return client, Stubber(client)


def _request(text: str, source: str) -> dict[str, object]:
    return {"guardrailIdentifier": "g-1", "guardrailVersion": "DRAFT", "source": source,
            "content": [{"text": {"text": text}}]}  # fmt: skip


def _response(action: str, assessments: list[dict[str, object]]) -> dict[str, object]:
    return {"usage": {"topicPolicyUnits": 0, "contentPolicyUnits": 1, "wordPolicyUnits": 1,
                      "sensitiveInformationPolicyUnits": 1, "sensitiveInformationPolicyFreeUnits": 0,
                      "contextualGroundingPolicyUnits": 0}, "action": action, "outputs": [],
            "assessments": assessments}  # fmt: skip


def test_given_a_title_with_an_email_and_a_swear_word_then_both_categories_are_reported() -> None:
    client, stub = _client()
    title = "Write to jane@example.com, damn it"
    stub.add_response("apply_guardrail", _response("GUARDRAIL_INTERVENED", [{
        "sensitiveInformationPolicy": {"piiEntities": [{"match": "jane@example.com", "type": "EMAIL",
                                                        "action": "BLOCKED"}], "regexes": []},
        "wordPolicy": {"customWords": [],
                       "managedWordLists": [{"match": "damn", "type": "PROFANITY", "action": "BLOCKED"}]},
    }]), _request(title, "OUTPUT"))  # fmt: skip
    stub.add_response("apply_guardrail", _response("NONE", []), _request("Tomato Soup Recipe", "OUTPUT"))
    with stub:
        detector = BedrockGuardrailDetector(client, "g-1")
        assert detector.categories(title) == ["pii:EMAIL", "profanity"]
        assert detector.categories("Tomato Soup Recipe") == []
    stub.assert_no_pending_responses()


def test_given_a_name_in_the_transcript_then_the_guard_keeps_it_out_of_every_title() -> None:
    client, stub = _client()
    text = "My name is Robert Paulson. Today we clean a cast iron pan."
    segments = segments_from_text(text)
    stub.add_response("apply_guardrail", _response("GUARDRAIL_INTERVENED", [{
        "sensitiveInformationPolicy": {"piiEntities": [{"match": "Robert Paulson", "type": "NAME",
                                                        "action": "ANONYMIZED"}], "regexes": []},
    }]), _request("\n".join(s.text for s in segments), "INPUT"))  # fmt: skip
    stub.add_response("apply_guardrail", _response("NONE", []), _request("Robert Paulson's Pan", "OUTPUT"))
    with stub:
        guard = OutputGuard(BedrockGuardrailDetector(client, "g-1"))
        screen = guard.prepare(segments)
        assert screen.names == {"robert paulson"}
        assert guard.reasons("Robert Paulson's Pan", screen) == ["pii:PERSONAL_DATA"]
