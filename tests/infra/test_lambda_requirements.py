"""The layer's requirements: the lock's versions, nothing the runtime ships, one Python version."""

from infra.constructs.packaging import RUNTIME
from infra.lambda_runtime import PYTHON_VERSION, REPO_ROOT, REQUIREMENTS, wheels_stamp

RUNTIME_SHIPS = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_given_the_layer_requirements_then_every_pin_matches_the_lock() -> None:
    lock = _pins((REPO_ROOT / "requirements.lock").read_text())
    layer = _pins(REQUIREMENTS.read_text())
    assert {"aws-lambda-powertools", "pydantic", "pyyaml", "pyjwt", "requests"} <= set(layer)
    assert {name: lock.get(name) for name in layer} == layer
    assert not RUNTIME_SHIPS & set(layer)


def test_given_the_wheel_cache_stamp_then_it_names_the_functions_runtime() -> None:
    assert RUNTIME.name == f"python{PYTHON_VERSION}"
    assert wheels_stamp().startswith(RUNTIME.name + " ")
