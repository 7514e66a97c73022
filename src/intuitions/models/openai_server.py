"""Scoring through an OpenAI-compatible server's /v1/completions (vLLM serve, SGLang,
llama-cpp-python's server, ...).

    openai:http://127.0.0.1:8000/v1#MODEL
    openai:http://127.0.0.1:8000/v1#MODEL?tokenizer=/path/to/tokenizer&concurrent=8&batch=16

A prompt is scored with `echo: true, logprobs: 1, max_tokens: 1`: the server echoes the
prompt's tokens with the logprob of each given the ones before it. We tokenize locally
(the served model's own tokenizer: `tokenizer=` or, by default, the model name as a local
folder or cached Hub id) and send token ids, so the server scores exactly our sequence.

Why we check instead of trusting the answer:
- Servers disagree on what they accept: a batch of token-id prompts (vLLM), one prompt
  per request (llama-cpp-python), text only. We negotiate once, on a probe, and remember.
- Echo paths have bugs. llama-cpp-python pairs token i with the distribution *after* it
  when the prompt has no BOS (off by one), and drops the first logprob after a BOS;
  llama.cpp's `llama-server` rejects echo (older builds: HTTP 400) or ignores it (the build
  llama-cpp-python 0.3.36 vendors: HTTP 200, no prompt tokens, the generated token's
  logprob only). The probe catches the off-by-one with
  a causal test (the prediction for the last position may not depend on the last token);
  a missing logprob or a misaligned echo is refused with the position that failed.
- The OpenAI API gives only the chosen token's logprob and the top-k, so ranks are known
  only as "argmax or not" and entropies not at all: both are left None, never guessed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Sequence
from urllib.parse import urlsplit

import numpy as np

from intuitions.errors import ServerError, UserError
from intuitions.models.base import Encoding, TokenScores, TokensDone, cut_at_stop, report_done
from intuitions.models.specs import spec_options
from intuitions.models.tokenizer import LocalTokenizer
from intuitions.models.windows import Window, default_stride, windows

PROBE_TEXT = "The quick brown fox jumps over the lazy dog, and then it sleeps."
TOKEN_ID = re.compile(r"^token_id:(\d+)$")  # vLLM's return_tokens_as_token_ids form
MODES = ("ids-batch", "ids", "text")  # prompt forms, most efficient first


@dataclass(frozen=True)
class ServerSpec:
    base_url: str  # ends in /v1
    model: str
    tokenizer: str | None = None  # local folder or Hub id; defaults to `model`
    concurrent: int = 4  # requests in flight
    batch: int = 8  # prompts per request when the server takes batches
    request_tokens: int = 16384  # token budget of one request
    timeout: float = 300.0  # seconds per request
    retries: int = 4  # extra tries after a connection error, 429 or 5xx
    bos: str = "auto"
    window: int | None = None  # tokens per prompt; default: the server's max_model_len - 1
    stride: int | None = None  # default: windows.default_stride(window) (as the hf backend)


def parse_spec(rest: str) -> ServerSpec:
    """`URL#MODEL[?key=value&...]` (the part after `openai:`)."""
    url, sep, frag = rest.partition("#")
    model, _, query = frag.partition("?")
    if not sep or not model:
        raise UserError(f"openai spec needs a model name: openai:{url or 'URL'}#MODEL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"openai spec needs an http(s) URL, got {url!r}")
    kw = spec_options("openai", query, ServerSpec, positional=("base_url", "model"),
                      minimum={"retries": 0, "timeout": 1})
    return ServerSpec(url.rstrip("/"), model, **kw)


# -- transport -------------------------------------------------------------------------------
class Rejected(Exception):
    """The server understood us and said no (HTTP 4xx other than 429): do not retry."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class Unreachable(Exception):
    """Connection refused/reset, timeout, 429 or 5xx after every retry."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the last HTTP status; None when nothing answered


def _server_message(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    try:
        obj = json.loads(text)
        err = obj.get("error", obj) if isinstance(obj, dict) else obj
        msg = err.get("message", err.get("detail", err)) if isinstance(err, dict) else err
        text = msg if isinstance(msg, str) else json.dumps(msg)
    except ValueError:
        pass
    return " ".join(text.split())[:300]


class HttpTransport:
    """JSON over urllib (stdlib: no client library to install), with retries and
    exponential backoff for what a restart or an overload can cure."""

    def __init__(self, base_url: str, timeout: float, retries: int, backoff: float = 0.5):
        self.base_url, self.timeout, self.retries, self.backoff = base_url, timeout, retries, backoff

    def request(self, path: str, body: dict | None = None, retries: int | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        last, status = "", None
        retries = self.retries if retries is None else min(retries, self.retries)
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 10.0))
            req = urllib.request.Request(
                self.base_url + path, data=data, method="GET" if data is None else "POST",
                headers={"Content-Type": "application/json", "Authorization": "Bearer EMPTY"},
            )
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return json.loads(resp.read())
            except urllib.error.HTTPError as e:
                msg = _server_message(e.read())
                if e.code != 429 and e.code < 500:
                    raise Rejected(e.code, msg) from None
                last, status = f"HTTP {e.code}: {msg}", e.code
            except (urllib.error.URLError, OSError) as e:  # refused, reset, timeout
                last, status = str(getattr(e, "reason", e)) or type(e).__name__, None
            except ValueError:
                raise Rejected(200, "the server's answer is not JSON") from None
        tries = retries + 1
        raise Unreachable(f"{last} (after {tries} {'try' if tries == 1 else 'tries'})", status)


# -- parsing one echoed choice ------------------------------------------------------------
@dataclass(frozen=True)
class Echo:
    """What a server said about one prompt: the tokens it echoed (ids when it gives them,
    else text pieces), their logprobs and the top-1 alternative at each position."""

    tokens: list[str]
    logprobs: list[float | None]
    top: list[tuple[str, float] | None]


def parse_choice(choice: dict) -> Echo:
    lp = choice.get("logprobs")
    if not isinstance(lp, dict) or not isinstance(lp.get("token_logprobs"), list) or not lp.get("tokens"):
        raise ServerError("the server returned no prompt logprobs for echo=true, so it cannot "
                          "score text (llama.cpp's llama-server ignores or rejects echo; vLLM serve works)")
    tops = lp.get("top_logprobs") or [None] * len(lp["tokens"])
    top = [max(d.items(), key=lambda kv: kv[1]) if isinstance(d, dict) and d else None for d in tops]
    return Echo(list(lp["tokens"]), list(lp["token_logprobs"]), top)


def _norm(piece: str) -> str:
    # Servers render a token that ends inside a UTF-8 character as "" or "\ufffd".
    return piece.replace("\ufffd", "")


def align(echo: Echo, ids: Sequence[int], piece: Callable[[int], str], prefix_id: int | None) -> int:
    """Where our token 0 sits in the echo: 0, or -1 when the server left our leading BOS
    out of the echo (llama-cpp-python does). Raises when the echo is not our sequence."""
    ret_ids = [TOKEN_ID.match(t) for t in echo.tokens]
    if all(ret_ids):
        got = [int(m.group(1)) for m in ret_ids if m is not None]  # all matched
        same = lambda off: got[: len(ids) - off] == list(ids[off:])
    else:
        got = [_norm(t) for t in echo.tokens]
        ours = [_norm(piece(i)) for i in ids]
        if ids and ids[0] == prefix_id and got and got[0] == "":
            ours[0] = ""  # a server may render our BOS as empty text
        same = lambda off: got[: len(ids) - off] == ours[off:]
    if len(echo.tokens) >= len(ids) and same(0):
        return 0
    if ids and ids[0] == prefix_id and len(echo.tokens) >= len(ids) - 1 and same(1):
        return -1
    k = next((i for i, (a, b) in enumerate(zip(got, ids if all(ret_ids) else ours)) if a != b), min(len(got), len(ids)))
    theirs = got[k] if k < len(got) else "<end>"
    mine = (ids if all(ret_ids) else ours)[k] if k < len(ids) else "<end>"
    raise ServerError(f"the server's echo differs from our tokens at position {k} (ours {mine!r}, "
                      f"server {theirs!r}): it tokenizes differently; pass ?tokenizer= the served model's tokenizer")


def echo_logprobs(echo: Echo, ids: Sequence[int], piece, prefix_id) -> np.ndarray:
    """Our per-token logprobs from one echo: nan at position 0, a number everywhere else."""
    shift = align(echo, ids, piece, prefix_id)
    out = np.full(len(ids), np.nan)
    for i in range(1, len(ids)):
        v = echo.logprobs[i + shift]
        if v is None or not math.isfinite(v):
            why = " (llama-cpp-python's echo drops the first logprob after BOS)" if i == 1 and shift else ""
            raise ServerError(f"the server returned no logprob for prompt token {i}{why}; "
                              "use the in-process llamacpp: backend for llama.cpp models")
        out[i] = float(v)
    return out


# -- the scorer ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Request:
    index: int  # 1-based, for error messages
    items: list[int]  # which prompts (sequences, or windows of long ones) it carries


class OpenAIScorer:
    def __init__(self, spec: ServerSpec, tokenizer: LocalTokenizer, transport=None):
        self.spec = spec
        self.tok = tokenizer
        self.name = f"openai:{spec.base_url}#{spec.model}"
        self.http = transport or HttpTransport(spec.base_url, spec.timeout, spec.retries)
        root, max_len = self._check_model()
        # A prompt plus the one generated token must fit the server's context.
        self.window = spec.window or (max_len - 1 if max_len else None)
        if self.window is not None and self.window < 2:
            raise UserError("window must be at least 2 tokens")
        self.stride = spec.stride or (default_stride(self.window) if self.window else None)
        if self.window and (self.stride is None or not 1 <= self.stride <= self.window):
            raise UserError("stride must be between 1 and the window length")
        self.fingerprint = hashlib.sha256(json.dumps({
            "backend": "openai", "model": spec.model, "root": root, "tokenizer": tokenizer.digest,
            "prefix": tokenizer.prefix_id, "window": self.window, "stride": self.stride,
        }, sort_keys=True).encode()).hexdigest()[:24]
        self.mode: str | None = None  # negotiated on the first score()
        self.n_params: int | None = None  # the OpenAI API does not say
        self.ask_ids = True  # ask for token ids in the echo (vLLM); dropped if refused

    # -- construction helpers --------------------------------------------------------------
    def _fail(self, what: str, err: BaseException) -> ServerError:
        return ServerError(f"server {self.spec.base_url} (model {self.spec.model}) {what}: {err}")

    def _check_model(self) -> tuple[str | None, int | None]:
        """The served model's root (its weights' path) and context length, where the
        server says (vLLM does); checks the model name is served at all."""
        try:
            listing = self.http.request("/models")
        except Rejected:
            return None, None  # a server without /models can still score
        except Unreachable as e:
            raise self._fail("is unreachable", e) from None
        served = {m.get("id"): m for m in listing.get("data", []) if isinstance(m, dict)}
        if served and self.spec.model not in served:
            raise ServerError(f"server {self.spec.base_url} does not serve model {self.spec.model!r}; "
                              f"it serves: {', '.join(map(str, served))}")
        entry = served.get(self.spec.model, {})
        max_len = entry.get("max_model_len")
        return entry.get("root"), int(max_len) if isinstance(max_len, int) and max_len > 2 else None

    # -- the Scorer protocol ----------------------------------------------------------------
    @property
    def eos_id(self) -> int | None:
        return self.tok.eos_id

    def encode(self, texts: Sequence[str], add_prefix: bool = True) -> list[Encoding]:
        return self.tok.encode(texts, add_prefix=add_prefix)

    def score(self, seqs: Sequence[Sequence[int]], progress: TokensDone | None = None) -> list[TokenScores]:
        out = self._score_all(seqs)
        report_done(progress, seqs)
        return out

    def _score_all(self, seqs: Sequence[Sequence[int]]) -> list[TokenScores]:
        seqs = [list(map(int, s)) for s in seqs]
        if not seqs:
            return []
        if self.mode is None:
            self.mode = self._negotiate()
        # Long sequences are cut into windows as in the hf backend; each window is a prompt.
        window, stride = self.window, self.stride  # both set, or no window
        pieces = [(si, w) for si, s in enumerate(seqs)
                  for w in (windows(len(s), window, stride) if window and stride else
                            [Window(0, len(s), 1)] if len(s) >= 2 else [])]
        prompts = [seqs[si][w.start : w.end] for si, w in pieces]
        out = [np.full(len(s), np.nan) for s in seqs]
        reqs = self._plan(list(range(len(prompts))), prompts)
        pool = ThreadPoolExecutor(max_workers=self.spec.concurrent)
        try:
            futs = {pool.submit(self._run, r, prompts, self.mode): r for r in reqs}
            done, _ = wait(futs, return_when=FIRST_EXCEPTION)
            failed = [(futs[f].index, f, e) for f in done if (e := f.exception()) is not None]
            if failed:  # report the first request that failed; drop the queued ones
                _, f, e = min(failed, key=lambda x: x[0])
                raise self._request_error(e, futs[f], len(reqs), prompts)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        for f, r in futs.items():
            for k, lp in zip(r.items, f.result()):
                si, w = pieces[k]
                out[si][w.first_new : w.end] = lp[w.first_new - w.start :]
        return [TokenScores(np.asarray(s, np.int64), lp) for s, lp in zip(seqs, out)]

    def generate(self, prompts: Sequence[str], max_new_tokens: int, stop: Sequence[str] = ()) -> list[str]:
        # Stop strings are applied here, not sent: the API's `stop` drops the stop string from
        # the text and servers differ on keeping it, while the Scorer contract keeps it.
        def one(p: str) -> str:
            body = {"model": self.spec.model, "prompt": p, "max_tokens": max_new_tokens, "temperature": 0}
            try:
                return cut_at_stop(self.http.request("/completions", body)["choices"][0]["text"], stop)
            except (Rejected, Unreachable, KeyError, IndexError, TypeError) as e:
                raise self._fail("failed to generate", e) from None

        with ThreadPoolExecutor(max_workers=self.spec.concurrent) as pool:
            return list(pool.map(one, prompts))

    # -- requests -----------------------------------------------------------------------------
    def _plan(self, order: list[int], seqs) -> list[_Request]:
        """Group sequences into requests: up to `batch` prompts and `request_tokens` tokens
        each when the server takes batches, else one prompt per request."""
        cap = self.spec.batch if self.mode == "ids-batch" else 1
        reqs, cur, toks = [], [], 0
        for i in order:
            if cur and (len(cur) >= cap or toks + len(seqs[i]) > self.spec.request_tokens):
                reqs.append(cur)
                cur, toks = [], 0
            cur.append(i)
            toks += len(seqs[i])
        if cur:
            reqs.append(cur)
        return [_Request(k + 1, ids) for k, ids in enumerate(reqs)]

    def _body(self, prompts: list[list[int]], mode: str) -> dict:
        if mode == "text":
            # Special tokens stay in as text (a BOS as "<s>"): servers read them back as the
            # special ids, so the server scores the same sequence; alignment checks it did.
            prompt: object = [self.tok.tokenizer.decode(s, skip_special_tokens=False) for s in prompts]
        else:
            prompt = prompts
        if mode != "ids-batch":
            prompt = prompt[0]
        body = {"model": self.spec.model, "prompt": prompt, "echo": True, "logprobs": 1,
                "max_tokens": 1, "temperature": 0}
        if self.ask_ids:  # vLLM: echo token ids instead of text, so alignment is exact
            body["return_tokens_as_token_ids"] = True
        return body

    def _echoes(self, prompts: list[list[int]], mode: str, retries: int | None = None) -> list[Echo]:
        resp = self.http.request("/completions", self._body(prompts, mode), retries=retries)
        choices = resp.get("choices") if isinstance(resp, dict) else None
        if not isinstance(choices, list) or len(choices) != len(prompts):
            n = len(choices) if isinstance(choices, list) else 0
            raise ServerError(f"the server answered {n} choices for {len(prompts)} prompts")
        choices = sorted(choices, key=lambda c: c.get("index", 0))
        return [parse_choice(c) for c in choices]

    def _run(self, req: _Request, seqs, mode: str) -> list[np.ndarray]:
        prompts = [seqs[i] for i in req.items]
        echoes = self._echoes(prompts, mode)
        return [echo_logprobs(e, p, self.tok.piece, self.tok.prefix_id) for e, p in zip(echoes, prompts)]

    def _request_error(self, err: BaseException, req: _Request, n: int, seqs) -> ServerError:
        size = sum(len(seqs[i]) for i in req.items)
        k = len(req.items)
        what = f"failed on request {req.index} of {n} ({k} prompt{'s' * (k != 1)}, {size} tokens)"
        if isinstance(err, (Rejected, Unreachable)):
            return self._fail(what, err)
        if isinstance(err, ServerError):
            return ServerError(f"server {self.spec.base_url} (model {self.spec.model}) {what}: {err}")
        return self._fail(what, err)

    # -- negotiation and the causal probe -------------------------------------------------------
    def _probe_prompts(self) -> list[list[int]]:
        ids = self.tok.encode([PROBE_TEXT])[0].ids[: self.window or None]
        if len(ids) < 3:
            raise UserError("the tokenizer turns the probe sentence into fewer than 3 tokens")
        last = ids[-1]
        other = next((t for t in ids[1:] if t != last), None)
        if other is None:
            raise UserError("the probe sentence has no two distinct tokens")
        return [ids, ids[:-1] + [other]]

    def _negotiate(self) -> str:
        """Find the first prompt form the server accepts, and check on the probe that its
        echo is aligned and causal before trusting a single score from it."""
        probes = self._probe_prompts()
        refusals = []
        for mode, ask_ids in ((m, a) for m in MODES for a in (True, False)):
            self.ask_ids = ask_ids  # a strict server may refuse the field it does not know
            try:
                # One retry at most: a form the server cannot take fails the same way again.
                if mode == "ids-batch":
                    echoes = self._echoes(probes, mode, retries=1)
                else:
                    echoes = [self._echoes([p], mode, retries=1)[0] for p in probes]
            except Rejected as e:
                refusals.append(f"{mode}: {e}")
                continue
            except Unreachable as e:
                if e.status is None:
                    raise self._fail("is unreachable", e) from None
                # A server that crashes on a form it does not take (llama-cpp-python asserts
                # on a batch: HTTP 500) has refused that form, not failed.
                refusals.append(f"{mode}: {e}")
                continue
            except ServerError as e:
                raise ServerError(f"server {self.spec.base_url} (model {self.spec.model}): {e}") from None
            try:
                self._check_causal(echoes, probes)
            except ServerError as e:
                raise ServerError(f"server {self.spec.base_url} (model {self.spec.model}): {e}") from None
            return mode
        raise ServerError(f"server {self.spec.base_url} (model {self.spec.model}) refused every echo+logprobs "
                          f"request, so it cannot score prompts: {refusals[-1]}")

    def _check_causal(self, echoes: list[Echo], probes: list[list[int]]) -> None:
        """The two probes differ only in their last token. The model's prediction *for* the
        last position is conditioned on the tokens before it, so the top-1 alternative there
        must be the same in both; an echo that pairs each token with the distribution after
        it (llama-cpp-python without BOS) gives two different ones."""
        tops = []
        for e, p in zip(echoes, probes):
            echo_logprobs(e, p, self.tok.piece, self.tok.prefix_id)  # aligned, no gaps
            shift = align(e, p, self.tok.piece, self.tok.prefix_id)
            top = e.top[len(p) - 1 + shift]
            if top is None:
                raise ServerError("the server returned no top_logprobs, so its echo cannot be checked")
            tops.append(top)
        (ka, va), (kb, vb) = tops
        if ka != kb or abs(va - vb) > 1e-3 * max(1.0, abs(va)):
            raise ServerError("its echo logprobs depend on the token they score (top-1 at the last "
                              f"position: {ka!r} {va:.4f} vs {kb!r} {vb:.4f}): an off-by-one echo "
                              "(llama-cpp-python's bug); use the in-process llamacpp: backend")


def load(rest: str, options) -> OpenAIScorer:
    spec = parse_spec(rest)
    if options.bos != "auto" and spec.bos == "auto":
        spec = dataclasses.replace(spec, bos=options.bos)
    tok = LocalTokenizer.load(spec.tokenizer or spec.model, bos=spec.bos)
    return OpenAIScorer(spec, tok)
