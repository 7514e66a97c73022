"""The rules behind this experiment's verdicts, keyed by id, in every report language
("§" stands for each number, in order; see intuitions.verdict.translate)."""

RULES: dict[str, dict[str, str]] = {
    "density.top10_share": {
        "en": (
            "Per source (the largest ladder member on the world's held-out documents; each real model on the "
            "project's sentences): the share of a text's surprisal carried by its densest §% of tokens, averaged "
            "over texts (§% bootstrap interval over texts). An even spread gives §. Supported when the interval "
            "lies above § for every model of the source; not supported at this scale when it lies below § for "
            "any; inconclusive otherwise, and always with fewer than § texts."
        ),
        "ko": (
            "출처별로(사다리의 가장 큰 모델은 합성 세계의 검증 문서, 각 실제 모델은 프로젝트가 쓴 문장) 한 텍스트의 "
            "놀람도 중 가장 정보가 많은 §%의 토큰이 차지하는 비율을 텍스트 평균으로 잰다(텍스트 단위 §% 부트스트랩 "
            "구간). 정보가 고르게 퍼져 있으면 이 비율은 §이다. 그 출처의 모든 모델에서 구간이 § 위에 있으면 '지지됨', "
            "어느 모델이든 § 아래에 있으면 '이 규모에서는 지지되지 않음', 그 밖에는 '판단 보류'이며, "
            "텍스트가 §개보다 적으면 언제나 '판단 보류'."
        ),
    },
}
