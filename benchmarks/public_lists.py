"""`GET /videos` against `GET /me` at concurrency 50 on the local cloud, measured in the same run.

    source scripts/env.sh && python -m benchmarks.public_lists [--videos 20] [--requests 200]

Deploys the core, identity and video stacks into a fresh local cloud, publishes `--videos` videos of one
named channel through the bus (Channel.Created, then Recording.Ended → Video.Processed → Lifecycle.Completed
for each video, with a poster, 10 thumbnails, an MP4, HLS and captions: 14 media URLs a video), signs a user
in, then sends `--requests` calls of each route from `--concurrency` threads of a separate client process (in
the cloud's own process they would share its GIL), alternating the two routes in rounds. `/me` verifies the
token and answers from its claims: the baseline of a call through the gateway and the API function. Every
call must answer 200 with the content a single sequential call gave (presigned URLs compared without their
query strings: each worker signs at its own time); prints p50 and p95 of both routes, the ratio of the p50s,
and how many cold starts happened while measuring (the workers are warmed first).
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import re
import statistics
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

EVENTS = Path(__file__).resolve().parents[1] / "tests" / "events"
PASSWORD = "Bench-Lists-Passw0rd!"
THUMBNAILS = 10
CHANNEL_CREATED = "svideo.channel/Channel.Created.json"
CHANNEL_NAME = json.loads((EVENTS / CHANNEL_CREATED).read_text())["detail"]["display_name"]
_SIGNATURE = re.compile(r'\?X-Amz-[^"]*')


def _event(path: str, video_id: str, owner_id: str) -> dict[str, Any]:
    raw: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / path).read_text()))
    text = json.dumps(raw["detail"]).replace("vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C", video_id)
    detail = json.loads(text)
    detail["meta"]["correlation_id"] = str(uuid.uuid4())
    if "owner_id" in detail:
        detail["owner_id"] = owner_id
    if "media" in detail:
        thumbnails = [f"videos/{video_id}/thumbs/{i:04d}.jpg" for i in range(THUMBNAILS)]
        detail["media"]["thumbnail_keys"] = thumbnails
    return {"source": raw["source"], "detail-type": raw["detail-type"], "detail": detail}


def _put(cloud: Any, bus: str, events: list[dict[str, Any]]) -> None:
    client = cloud.client("events")
    for start in range(0, len(events), 10):
        entries = [{"Source": e["source"], "DetailType": e["detail-type"], "Detail": json.dumps(e["detail"]),
                    "EventBusName": bus} for e in events[start : start + 10]]  # fmt: skip
        assert client.put_events(Entries=entries)["FailedEntryCount"] == 0


def _wait(probe: Any, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout:.0f} s")
        time.sleep(1)


def _content(body: bytes) -> str:
    """A response's content, presigned URLs without their query strings (signed at each worker's own time)."""
    return _SIGNATURE.sub("", body.decode())


def _timed(session: requests.Session, url: str, headers: dict[str, str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    response = session.get(url, headers=headers, timeout=120)
    return time.perf_counter() - started, response.status_code, _content(response.content)


def _publish(cloud: Any, api: str, headers: dict[str, str], owner: str, count: int) -> list[str]:
    """`count` published videos of `owner`, through the bus as the services announce them."""
    from infra.naming import bus_name

    ids = [f"vid-bench-{uuid.uuid4().hex[:10]}" for _ in range(count)]

    def listed(status: str | None) -> int:
        url = f"{api}/me/videos?limit=100" if status else f"{api}/videos?limit=100"
        videos = requests.get(url, headers=headers, timeout=60).json().get("videos", [])
        return sum(1 for v in videos if v["video_id"] in ids and status in (None, v["status"]))

    _put(cloud, bus_name("dev"), [_event(CHANNEL_CREATED, "", owner)])  # the list shows its name
    steps = [("svideo.channel/Recording.Ended.json", "processing"),
             ("svideo.postprocess/Video.Processed.json", "enriching"),
             ("svideo.plugins/Lifecycle.Completed.json", None)]  # fmt: skip
    for path, status in steps:
        _put(cloud, bus_name("dev"), [_event(path, video_id, owner) for video_id in ids])
        what = f"{count} videos {status or 'published'}"
        _wait(lambda status=status: listed(status) == count, what)
    return ids


def _measure(urls: dict[str, str], headers: dict[str, str], calls: int, concurrency: int, rounds: int
             ) -> dict[str, list[tuple[float, int, str]]]:  # fmt: skip
    """(seconds, status, content) of each URL `calls` times from `concurrency` threads, in `rounds`
    (`calls` 0: one unrecorded burst of `concurrency` calls of each, which warms a worker per thread)."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=concurrency))
    timings: dict[str, list[tuple[float, int, str]]] = {route: [] for route in urls}
    with ThreadPoolExecutor(concurrency) as pool:
        if not calls:
            for url in urls.values():
                list(pool.map(lambda _, u=url: _timed(session, u, headers), range(concurrency)))
        for _ in range(rounds if calls else 0):
            for route, url in urls.items():
                batch = range(calls // rounds)
                timings[route] += pool.map(lambda _, u=url: _timed(session, u, headers), batch)
    return timings


def _cold_starts(state_dir: Path) -> int:
    """Cold starts so far, as the functions' logs report them (a REPORT line with an Init Duration)."""
    logs = (state_dir / "logs").glob("*.log")
    return sum(path.read_text(errors="replace").count("Init Duration") for path in logs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200, help="calls of each route")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds of /me and /videos")
    args = parser.parse_args()

    from benchmarks.clouds import deployed_cloud
    from infra.naming import IdentityParameter, VideoParameter
    from local.platform_client import create_user, read_parameter, sign_in

    with deployed_cloud(("CoreStack", "IdentityStack", "VideoStack")) as (cloud, _):
        ssm, idp = cloud.client("ssm"), cloud.client("cognito-idp")
        pool = read_parameter(ssm, "dev", IdentityParameter.USER_POOL_ID)
        owner = create_user(idp, pool, "bench@example.com", PASSWORD, ["broadcaster"])
        client_id = read_parameter(ssm, "dev", IdentityParameter.USER_POOL_CLIENT_ID)
        headers = {"authorization": f"Bearer {sign_in(idp, client_id, 'bench@example.com', PASSWORD)}"}
        api = read_parameter(ssm, "dev", VideoParameter.API_URL).rstrip("/")
        _publish(cloud, api, headers, owner, args.videos)
        urls = {"/me": f"{api}/me", "/videos": f"{api}/videos?limit={args.videos}"}
        expected = {}
        for route, url in urls.items():  # one sequential call of each: the content every call must give
            response = requests.get(url, headers=headers, timeout=60)
            assert response.status_code == 200, f"{route}: {response.status_code} {response.text}"
            expected[route] = _content(response.content)
        page = json.loads(expected["/videos"])
        listed = len(page["videos"])
        assert listed == args.videos, f"{listed} videos listed, not {args.videos}"
        names = {video["channel_name"] for video in page["videos"]}
        assert names == {CHANNEL_NAME}, f"the list names the channel {names}, not {CHANNEL_NAME!r}"
        signed = response.text.count("X-Amz-Signature")
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as client:
            # Warm first: cold starts are not what is measured, and the run says how many still happened.
            client.submit(_measure, urls, headers, 0, args.concurrency, args.rounds).result()
            cold_before = _cold_starts(cloud.state_dir)
            calls, concurrency, rounds = args.requests, args.concurrency, args.rounds
            timings = client.submit(_measure, urls, headers, calls, concurrency, rounds).result()
        cold = _cold_starts(cloud.state_dir) - cold_before

    print(f"GET /videos: {len(page['videos'])} videos a page, {signed} presigned media URLs a response")
    print(f"concurrency {args.concurrency}, {len(timings['/me'])} calls of each route, {args.rounds} rounds, "
          f"{cold} cold starts while measured")  # fmt: skip
    p50: dict[str, float] = {}
    wrong = 0
    for route, results in timings.items():
        failed = sorted(status for _, status, _ in results if status != 200)
        differ = sum(1 for _, status, content in results if status == 200 and content != expected[route])
        wrong += len(failed) + differ
        seconds = [elapsed for elapsed, _, _ in results]
        p50[route] = statistics.median(seconds)
        p95 = statistics.quantiles(seconds, n=20)[-1]
        answered = len(results) - len(failed)
        print(f"GET {route:8} p50 {p50[route] * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms  "
              f"{answered} answered 200, others {failed}; {differ} other content")  # fmt: skip
    print(f"ratio of p50s /videos : /me = {p50['/videos'] / p50['/me']:.2f} (target: within 5)")
    if wrong:
        raise SystemExit(f"{wrong} calls failed or answered other content: the figures compare nothing")


if __name__ == "__main__":
    main()
