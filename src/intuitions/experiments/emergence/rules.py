"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'emergence.task_jumps': {
        "en": (
            'Supported when at least one task is called emergent while the overall loss falls smoothly (it '
            'improves and does not jump: criteria § and § below do not both hold for it); not supported at this '
            'scale when no task is emergent; inconclusive with fewer than § sizes, or when tasks jump but the '
            'overall loss is missing or jumps too. Emergent means: A task is called emergent when all four hold '
            'for its primary metric, oriented so higher is better: (§) improves: I(y) > § and, for a bounded '
            'score (accuracy, exact match), by at least § of its full range (§§, or §§ for percentages); (§) '
            'absent when small: an emergence scale exists (the first size from which every larger size scores '
            'above chance + max(§, z·stderr), z = the two-sided §% normal quantile Bonferroni-corrected over the '
            'n sizes (§ for §)) with at least § smaller sizes not above it; (§) concentrated: breakthroughness / '
            'linearity >= § (§ for a straight line); (§) unpredicted: a linear trend in log-scale fitted on the '
            'sizes before the emergence scale when at least § sizes lie there, else the smaller half (at least §)'
            ' under-predicts some larger size, with the §% interval of actual - predicted (family-wise over the '
            "predicted sizes, Bonferroni) above § and the surprise at least § of |I(y)|. A metric 'jumps' when "
            '(§) and (§) hold.'
        ),
        "ko": (
            "적어도 한 과제가 창발적이라고 판정되면서 전체 손실은 매끄럽게 줄어들 때(개선되며 도약하지 않음: 아래 기준 (§) 및 (§)가 둘 다 성립하지는 않음) '지지됨'; 창발적인 "
            "과제가 없으면 '이 규모에서는 지지되지 않음'; 모델 크기가 § 가지보다 적거나, 과제는 도약하는데 전체 손실이 없거나 함께 도약하면 '판단 보류'. 창발의 뜻: 높을수록 좋도록 "
            '방향을 맞춘 주 지표에서 다음 네 가지가 모두 성립하면 그 과제를 창발적이라고 한다. (§) 개선: I(y) > §이고, 유계 점수(정확도, 정확 일치)라면 전체 범위의 § '
            '이상(§§, 백분율이면 §§); (§) 작을 때는 없음: 창발 규모가 존재하고(그보다 큰 모든 크기가 우연 수준 + max(§, z·stderr)를 넘는 첫 크기; z는 n개 '
            '크기에 대해 본페로니 보정한 양측 §% 정규 분위수(§, 크기 §개일 때)), 그보다 작으면서 그 값을 넘지 않는 크기가 적어도 §개; (§) 집중: 돌파성 / 선형성 >= '
            '§(직선이면 §); (§) 예측 불가: 창발 규모 이전에 크기가 적어도 §개 있으면 그 크기들로, 아니면 작은 쪽 절반(적어도 §개)으로 로그 척도의 선형 추세를 적합했을 때 어떤'
            ' 더 큰 크기를 과소 예측하며, 실제 − 예측의 §% 구간(예측한 크기들에 대한 본페로니 가족 단위 보정)이 § 위에 있고 놀람이 |I(y)|의 § 이상. 지표는 (§) 및 '
            "(§)가 성립할 때 '도약'한다고 한다."
        ),
    },
}
