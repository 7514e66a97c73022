"""The report's prose in English and Korean. Numbers, figures and tables are shared.

Verdict rules are translated where they are written: each experiment package's `RULES`
catalog, keyed by rule id (`intuitions.verdict.translate`). Here: the report's own words."""

from __future__ import annotations

from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTED, SUPPORTED

LANGS = ("en", "ko")

UI = {
    "en": {
        "title": "Six intuitions about LLMs, measured",
        "overview": "Overview",
        "overview_note": (
            "One column per source of evidence: the ladder of tiny models this run trained, the installed real "
            "pretrained models, and published result tables; then the headline over them. Each label comes from a rule "
            "in code, applied to the saved results; the rule and the numbers it saw are shown in the section."
        ),
        "intuition": "Intuition",
        "verdict": "Verdict",
        "claim": "Claim",
        "method": "How it was tested",
        "setup": "This run",
        "figures": "Figures",
        "table": "Key table",
        "verdicts": "Computed verdicts",
        "rule": "Rule",
        "evidence": "Evidence",
        "source": "from",
        "headline_rule": (
            "Headline, over the sources (and within a source over its verdicts): supported when at least one supports "
            "and none contradicts (not supported); not supported when at least one contradicts and none supports; "
            "inconclusive when they disagree or none is decisive. A source with no verdict is shown as not tested and "
            "does not count; a verdict that names no source counts as the ladder's."
        ),
        "data_source": "source",
        "provenance": "Provenance",
        "run_id": "Run",
        "preset": "Preset",
        "config_hash": "Config hash",
        "started": "Started",
        "finished": "Finished",
        "wall": "Wall time of this run",
        "rendered": "Rendered",
        "machine": "Machine",
        "versions": "Package versions",
        "seeds": "Seeds",
        "models": "Real models",
        "installed": "installed",
        "not_installed": "not used",
        "fingerprints": "Model fingerprints",
        "steps": "Steps",
        "step": "Step",
        "status": "Status",
        "computed_in": "computed in",
        "this_run": "this run",
        "cached": "cached",
        "error": "Error",
        "no_figures": "No figures were saved for this intuition.",
        "no_table": "No table was saved for this intuition.",
        "more_rows": "more rows in the saved data",
        "n_line": "n = {n} items per condition per seed",
        "seed_list": "seeds",
        "ladder": "ladder",
        "untranslated": "",
        "lang_other": "한국어",
        "config": "Configuration",
    },
    "ko": {
        "title": "LLM에 관한 여섯 가지 직관, 측정 결과",
        "overview": "한눈에 보기",
        "overview_note": (
            "근거의 출처마다 열 하나: 이번 실행이 학습한 작은 모델 사다리, 설치된 실제 사전학습 모델, 공개된 결과표. "
            "마지막 열은 이들을 종합한 대표 판정입니다. 판정은 저장된 결과에 코드로 된 규칙을 적용해 얻으며, 각 절에 "
            "규칙과 그 규칙이 본 수치가 함께 나옵니다."
        ),
        "intuition": "직관",
        "verdict": "판정",
        "claim": "주장",
        "method": "검증 방법",
        "setup": "이번 실행",
        "figures": "그림",
        "table": "핵심 표",
        "verdicts": "계산된 판정",
        "rule": "규칙",
        "evidence": "근거",
        "source": "계산 단계",
        "headline_rule": (
            "대표 판정은 출처들을 종합한다(한 출처 안의 여러 판정도 같은 방식으로 종합한다). 하나 이상이 지지하고 "
            "반대(지지되지 않음)가 없으면 '지지됨', 하나 이상이 반대하고 지지하는 것이 없으면 '이 규모에서는 지지되지 "
            "않음', 서로 어긋나거나 결정적인 판정이 없으면 '판단 보류'. 판정이 없는 출처는 '검증하지 않음'으로 "
            "표시하고 종합에 넣지 않으며, 출처를 밝히지 않은 판정은 사다리의 판정으로 센다."
        ),
        "data_source": "출처",
        "provenance": "실행 기록",
        "run_id": "실행",
        "preset": "프리셋",
        "config_hash": "설정 해시",
        "started": "시작",
        "finished": "종료",
        "wall": "이번 실행의 소요 시간",
        "rendered": "렌더링 시각",
        "machine": "머신",
        "versions": "패키지 버전",
        "seeds": "시드",
        "models": "실제 모델",
        "installed": "설치됨",
        "not_installed": "사용 안 함",
        "fingerprints": "모델 지문(fingerprint)",
        "steps": "단계",
        "step": "단계",
        "status": "상태",
        "computed_in": "계산 시간",
        "this_run": "이번 실행",
        "cached": "캐시 사용",
        "error": "오류",
        "no_figures": "이 직관에 대해 저장된 그림이 없습니다.",
        "no_table": "이 직관에 대해 저장된 표가 없습니다.",
        "more_rows": "행 더 있음 (저장된 데이터 참조)",
        "n_line": "시드당 조건별 항목 수 n = {n}",
        "seed_list": "시드",
        "ladder": "사다리(ladder)",
        "untranslated": "(영문 원문)",
        "lang_other": "English",
        "config": "설정",
    },
}

LABELS = {
    "en": {SUPPORTED: "supported", NOT_SUPPORTED: "not supported at this scale", INCONCLUSIVE: "inconclusive",
           NOT_TESTED: "not tested"},
    "ko": {SUPPORTED: "지지됨", NOT_SUPPORTED: "이 규모에서는 지지되지 않음", INCONCLUSIVE: "판단 보류",
           NOT_TESTED: "검증하지 않음"},
}

TITLES = {
    1: {"en": "Next-word prediction is multitask", "ko": "다음 단어 예측은 다중 과제 학습이다"},
    2: {"en": "Models learn from examples in the prompt", "ko": "모델은 프롬프트 속 예시로부터 배운다"},
    3: {"en": "Give the model time to think", "ko": "모델에게 생각할 시간을 주어라"},
    4: {"en": "Loss follows scaling laws", "ko": "손실은 스케일링 법칙을 따른다"},
    5: {"en": "Abilities emerge with scale", "ko": "능력은 규모와 함께 창발한다"},
    6: {
        "en": "Large models can override their priors in context",
        "ko": "큰 모델은 문맥으로 사전 지식을 뒤집을 수 있다",
    },
}

CLAIMS = {
    1: {"en": (
        "Predicting the next token is secretly many tasks at once: the loss splits into task-specific parts that are "
        "learned at different rates and sizes."
    ),
        "ko": (
            "다음 토큰 예측은 사실 여러 과제를 한꺼번에 푸는 일이다. 손실은 과제별 부분으로 나뉘고, 각 부분은 서로 "
            "다른 속도와 모델 크기에서 학습된다."
        )},
    2: {"en": (
        "A model can pick up a task from demonstrations in its prompt, without any weight update, and does better with "
        "more of them."
    ),
        "ko": "모델은 가중치를 바꾸지 않고도 프롬프트에 든 시연 예시만으로 과제를 익히며, 예시가 많을수록 더 잘한다."},
    3: {"en": (
        "Tokens carry very different amounts of information, so writing out intermediate steps spreads a hard answer "
        "over many easy tokens and makes it cheaper to predict and more often right."
    ),
        "ko": (
            "토큰마다 담긴 정보량은 크게 다르다. 그래서 중간 단계를 풀어 쓰면 어려운 답이 쉬운 토큰 여럿으로 나뉘어, "
            "답을 예측하기 쉬워지고 더 자주 맞힌다."
        )},
    4: {"en": (
        "Loss falls as a smooth power law in parameters and data, so the smaller members of a ladder predict a bigger "
        "model's loss before it is trained."
    ),
        "ko": (
            "손실은 파라미터 수와 데이터 양에 대해 매끄러운 거듭제곱 법칙으로 줄어든다. 그래서 작은 모델들만으로 더 큰 "
            "모델의 손실을 학습 전에 예측할 수 있다."
        )},
    5: {"en": (
        "Some abilities are absent in small models and appear abruptly in larger ones, in a way that extrapolating the "
        "smaller models does not predict."
    ),
        "ko": (
            "어떤 능력은 작은 모델에는 없다가 큰 모델에서 갑자기 나타나며, 작은 모델들의 추세를 외삽해서는 이를 예측할 "
            "수 없다."
        )},
    6: {"en": (
        "Larger models follow flipped labels shown in context even against what they know, while smaller models fall "
        "back on their semantic priors."
    ),
        "ko": (
            "큰 모델은 문맥에 제시된 뒤집힌 레이블을 자신이 아는 것과 어긋나더라도 따르지만, 작은 모델은 의미적 사전 "
            "지식으로 되돌아간다."
        )},
}

METHODS = {
    1: {"en": (
        "The held-out loss on the synthetic world is split exactly into per-task contributions (share of tokens × mean "
        "loss) for every ladder member, and minimal-pair probes in eight categories ask the real model(s) one small "
        "question per task."
    ),
        "ko": (
            "합성 세계의 검증 손실을 사다리의 각 모델마다 과제별 기여(토큰 비율 × 평균 손실)로 정확히 분해하고, 여덟 "
            "범주의 최소 대립쌍 문항으로 실제 모델에 과제별 작은 질문을 던진다."
        )},
    2: {"en": (
        "Accuracy against the true labels with zero to k demonstrations (k-shot curves), and with random or unrelated "
        "labels, on labelled sets written by the project and the world's in-context episodes, over several seeds."
    ),
        "ko": (
            "프로젝트가 직접 만든 레이블 데이터와 합성 세계의 문맥 내 에피소드에서, 시연 예시를 0개부터 k개까지 "
            "늘리거나(k-shot 곡선) 무작위·무관한 레이블을 줄 때 실제 레이블 기준 정확도를 여러 시드로 잰다."
        )},
    3: {"en": (
        "Answer-token surprisal and accuracy for direct answers, a given worked solution, the same number of filler "
        "tokens, and generated chains of thought, on generated multi-step arithmetic problems."
    ),
        "ko": (
            "생성한 여러 단계 산술 문제에서 바로 답하기, 풀이를 준 뒤 답하기, 같은 수의 의미 없는 채움 토큰 뒤 답하기, "
            "생성한 사고 사슬 뒤 답하기의 답 토큰 놀람도(surprisal)와 정확도를 비교한다."
        )},
    4: {"en": (
        "Huber-loss fits of L(N) and L(N, D) to the ladder's held-out losses (L-BFGS from many starts), bootstrap "
        "intervals on every parameter, and the largest member held out and predicted from the smaller ones."
    ),
        "ko": (
            "사다리 모델들의 검증 손실에 L(N)과 L(N, D)를 후버 손실로 적합하고(여러 시작점의 L-BFGS), 모든 파라미터에 "
            "부트스트랩 구간을 붙이며, 가장 큰 모델을 빼고 작은 모델들로 그 손실을 예측한다."
        )},
    5: {"en": (
        "Per-task accuracy across the ladder: breakthroughness and linearity, the scale where a task leaves chance, "
        "extrapolation from the smaller members, and whether the jump survives a continuous metric."
    ),
        "ko": (
            "사다리 전체에서 과제별 정확도를 보고 돌파성(breakthroughness)과 선형성, 우연 수준을 벗어나는 규모, 작은 "
            "모델로부터의 외삽, 그리고 연속적인 지표에서도 도약이 남는지를 검사한다."
        )},
    6: {"en": (
        "Accuracy against the true labels as the share of flipped demonstration labels grows from 0% to 100%, per "
        "model, with 95% intervals; accuracy below chance at 100% flipped means the model follows the context over its "
        "prior."
    ),
        "ko": (
            "시연 예시 레이블 중 뒤집힌 비율을 0%에서 100%까지 늘리며 모델별로 실제 레이블 기준 정확도와 95% 구간을 "
            "잰다. 100% 뒤집혔을 때 정확도가 우연 수준보다 낮으면 모델이 사전 지식보다 문맥을 따른 것이다."
        )},
}

# The pipeline's own rules (a step that failed, a verdict that could not be computed).
OWN_RULES = {
    "step_failed": {"en": "A step that failed gives no evidence: the verdict is inconclusive.",
                    "ko": "실패한 단계는 근거가 되지 못하므로 판정은 '판단 보류'이다."},
    "verdict_failed": {"en": "Verdicts that cannot be computed from the saved results are inconclusive.",
                       "ko": "저장된 결과로부터 계산할 수 없는 판정은 '판단 보류'이다."},
    "no_verdict": {"en": "An experiment that gives no verdict for this intuition leaves it inconclusive.",
                   "ko": "이 직관에 대한 판정을 내지 않은 실험은 이를 '판단 보류'로 남긴다."},
    "not_run": {"en": "No experiment in this run's configuration speaks to this intuition: inconclusive.",
                "ko": "이번 실행 설정에는 이 직관을 다루는 실험이 없으므로 '판단 보류'이다."},
}

SOURCE_NAMES = {
    "en": {"ladder": "ladder", "real": "real models", "published": "published"},
    "ko": {"ladder": "사다리", "real": "실제 모델", "published": "공개 결과"},
}


def source_name(source: str, lang: str) -> str:
    return SOURCE_NAMES[lang].get(source, source)


def ui(lang: str) -> dict[str, str]:
    return UI[lang]


def label(lab: str, lang: str) -> str:
    return LABELS[lang].get(lab, lab)
