"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'multitask.decomposition': {
        "en": (
            'Supported when (a) on every model the per-task contributions add up to the overall mean loss within '
            '§ nats, (b) on the largest ladder member at least two tasks have non-overlapping §% CIs of mean loss'
            ' (documents resampled), and (c) tasks are not all learned alike: along model size, or along the '
            "largest member's training steps, the task labels take at least two values. A task is 'not learned' "
            'along an axis when the paired §% CI of its loss drop from the first to the last point does not lie '
            "above § or the drop is under §% of its first loss; otherwise 'early' or 'late' by whether half of "
            'its drop is reached in the first or second half of the axis (log scale). Not supported at this scale'
            ' when (a) holds but (b) or (c) fails; inconclusive when there is no ladder of at least two members '
            'or (a) fails.'
        ),
        "ko": (
            '(a) 모든 모델에서 과제별 기여의 합이 전체 평균 손실과 § nats 이내로 일치하고, (b) 사다리의 가장 큰 모델에서 평균 손실의 §% 신뢰구간(문서 단위 재표집)이 서로 '
            '겹치지 않는 과제가 둘 이상 있으며, (c) 과제들이 모두 같은 방식으로 학습되지는 않을 때(모델 크기 축이나 가장 큰 모델의 학습 단계 축에서 과제 레이블이 두 가지 이상) '
            "'지지됨'. 어떤 축에서 처음부터 끝 지점까지 과제 손실 감소량의 짝지은 §% 신뢰구간이 § 위에 있지 않거나 감소량이 처음 손실의 §% 미만이면 그 과제는 '학습 안 됨'이고, "
            "그렇지 않으면 감소량의 절반에 축의 앞쪽 절반에서 도달했는지 뒤쪽 절반에서 도달했는지(로그 척도)에 따라 '이른 학습' 또는 '늦은 학습'이다. (a)는 성립하지만 (b)나 "
            "(c)가 성립하지 않으면 '이 규모에서는 지지되지 않음', 두 모델 이상의 사다리가 없거나 (a)가 성립하지 않으면 '판단 보류'."
        ),
    },
}
