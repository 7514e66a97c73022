"""The rules behind this experiment's verdicts, keyed by id, in every report language
("§" stands for each number, in order; see intuitions.verdict.translate)."""

RULES: dict[str, dict[str, str]] = {
    "cot.generated_vs_direct": {
        "en": (
            "Per source (the largest ladder member; each real model): accuracy with the model's own greedy "
            'chain of thought minus direct accuracy, paired by problem, on problems of § or more steps (§% '
            'bootstrap interval over problems). Supported when the interval lies above § for every model of '
            'the source; not supported at this scale when it lies below § for any; inconclusive otherwise. '
            'The leak-free worked solution (final result removed) and matched-length filler are reported '
            'beside it as controls.'
        ),
        "ko": (
            '출처별로(사다리의 가장 큰 모델, 각 실제 모델) § 단계 이상 문제에서, 모델이 스스로 쓴 탐욕적 사고 사슬 '
            '뒤의 정확도에서 바로 답한 정확도를 문제별로 짝지어 뺀다(문제'
            " 단위 §% 부트스트랩 구간). 그 출처의 모든 모델에서 구간이 § 위에 있으면 '지지됨', 어느 모델이든 § 아래에 "
            "있으면 '이 규모에서는 지지되지 않음', 그 밖에는 '판단 보류'. 마지막 결과를 지운 풀이(답이 새지 않는 "
            "풀이)와 같은 길이의 채움 토큰은 대조군으로 함께 보고한다."
        ),
    },
}
