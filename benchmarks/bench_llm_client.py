"""Client CPU per model call, for each way litellm offers to make it, over real HTTP.

The fake model (tests/fakellm.py) runs in its own process on 127.0.0.1 and answers after
``--latency`` seconds; ``--calls`` chat completions go out with ``--concurrency`` in flight,
one variant at a time, after a warm-up. For each variant: client CPU milliseconds per call
(this process only; the server's CPU is not ours), wall seconds, and the share of the ideal
``calls × latency / concurrency``. Variants:

- ``litellm.acompletion``: what :func:`assistant.llm.acomplete` calls, litellm's default transport;
- ``litellm.acompletion (httpx)``: ``litellm.disable_aiohttp_transport = True``;
- ``litellm.acompletion (shared client)``: one ``openai.AsyncOpenAI`` passed as ``client=``;
- ``litellm Router``: ``Router(model_list=[...]).acompletion``;
- ``assistant.llm.acomplete``: the project's own wrapper (retries, usage, cost);
- ``openai SDK``: ``AsyncOpenAI.chat.completions.create`` without litellm (the floor).

Usage: python benchmarks/bench_llm_client.py [--calls 1000] [--concurrency 32] [--latency 0.05]
       [--only NAME ...]
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

MESSAGES = [
    {"role": "system", "content": "You draft short, polite replies for a support team. " * 20},
    {
        "role": "user",
        "content": "앱에서 결제하면 화면이 멈춰요. 오프라인 메모가 동기화되지 않아요.",
    },
]

Caller = Callable[[], Awaitable[str]]


async def _measure(call: Caller, calls: int, concurrency: int) -> dict[str, float]:
    for _ in range(concurrency):  # warm: connections open, lazy imports done
        await call()
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await call()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(calls)))
    return {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}


def _variants(api_base: str) -> dict[str, Callable[[], Caller]]:
    """Name → a factory of the call to time (built lazily, inside the running loop)."""
    from assistant import llm

    litellm = llm.litellm_module()
    params: dict[str, Any] = {
        "model": "openai/fake", "messages": MESSAGES, "api_base": api_base,
        "api_key": "bench-key", "temperature": 0.3, "max_retries": 0, "timeout": 30,
    }  # fmt: skip

    def plain() -> Caller:
        async def call() -> str:
            litellm.disable_aiohttp_transport = False
            r = await litellm.acompletion(**params)
            return str(r.choices[0].message.content)

        return call

    def httpx_transport() -> Caller:
        async def call() -> str:
            litellm.disable_aiohttp_transport = True
            try:
                r = await litellm.acompletion(**params)
            finally:
                litellm.disable_aiohttp_transport = False
            return str(r.choices[0].message.content)

        return call

    def shared_client() -> Caller:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=api_base, api_key="bench-key", max_retries=0)

        async def call() -> str:
            r = await litellm.acompletion(**params, client=client)
            return str(r.choices[0].message.content)

        return call

    def router() -> Caller:
        r_params = {k: v for k, v in params.items() if k != "messages"}
        rt = litellm.Router(model_list=[{"model_name": "fake", "litellm_params": r_params}],
                            num_retries=0)  # fmt: skip

        async def call() -> str:
            r = await rt.acompletion(model="fake", messages=MESSAGES)
            return str(r.choices[0].message.content)

        return call

    def ours() -> Caller:
        from assistant.config import load_settings

        settings = load_settings(model="openai/fake", api_base=api_base, max_retries=0)

        async def call() -> str:
            return (await llm.acomplete(MESSAGES, settings, api_key="bench-key")).text

        return call

    def openai_sdk() -> Caller:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=api_base, api_key="bench-key", max_retries=0)

        async def call() -> str:
            r = await client.chat.completions.create(
                model="fake",
                messages=MESSAGES,
                temperature=0.3,  # type: ignore[arg-type]
            )
            return str(r.choices[0].message.content)

        return call

    return {
        "litellm.acompletion": plain,
        "litellm.acompletion (httpx)": httpx_transport,
        "litellm.acompletion (shared client)": shared_client,
        "litellm Router": router,
        "assistant.llm.acomplete": ours,
        "openai SDK": openai_sdk,
    }


async def _run(args: argparse.Namespace, api_base: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ideal = args.calls * args.latency / args.concurrency
    for name, factory in _variants(api_base).items():
        if args.only and name not in args.only:
            continue
        try:
            m = await _measure(factory(), args.calls, args.concurrency)
        except Exception as exc:  # noqa: BLE001 - a variant that cannot run is reported
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        out[name] = {
            "cpu_ms_per_call": round(m["cpu_s"] * 1000 / args.calls, 2),
            "wall_s": round(m["wall_s"], 2),
            "efficiency": round(ideal / m["wall_s"], 3),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakellm", "--delay", str(args.latency)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        api_base = server.stdout.readline().strip()
        variants = asyncio.run(_run(args, api_base))
    finally:
        server.terminate()
        server.wait()
    print(json.dumps({
        "calls": args.calls, "concurrency": args.concurrency, "latency_s": args.latency,
        "variants": variants, "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
