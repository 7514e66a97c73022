"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'icl.gold_vs_controls': {
        "en": (
            'For the largest model (sum scoring, largest k): supported if gold-label accuracy beats both zero-'
            'shot and random-label accuracy (paired bootstrap §% CI of each difference above §); not supported if'
            " either difference's CI upper bound is below §; inconclusive otherwise."
        ),
        "ko": (
            '가장 큰 모델에서(합 점수, 가장 큰 k): 정답 레이블 정확도가 제로샷 정확도와 무작위 레이블 정확도를 모두 넘으면(각 차이의 짝지은 부트스트랩 §% 신뢰구간이 § 위) '
            "'지지됨', 두 차이 중 하나라도 신뢰구간 상한이 § 미만이면 '지지되지 않음', 그 밖에는 '판단 보류'."
        ),
    },
    'icl.flip_following': {
        "en": (
            'Accuracy with §% of demonstration labels flipped, per model (sum scoring): a model follows the '
            'demonstrations when its §% CI upper bound is below chance. Supported if the largest model does and '
            'the smallest does not; not supported at this scale if no model does; inconclusive otherwise.'
        ),
        "ko": (
            '§%의 시연 레이블을 뒤집었을 때 모델별 정확도(합 점수): 그 §% 신뢰구간 상한이 우연 수준보다 낮으면 모델이 시연을 따른 것이다. 가장 큰 모델은 따르고 가장 작은 모델은 '
            "따르지 않으면 '지지됨', 어떤 모델도 따르지 않으면 '이 규모에서는 지지되지 않음', 그 밖에는 '판단 보류'."
        ),
    },
}
