"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'emergence.wei_definition': {
        "en": (
            'Per source (the ladder; the published tables together): supported when at least one task is emergent'
            ' and not in exact match only, and the overall loss, where the table has one, does not jump itself '
            '(improves and is under-predicted by the same test); not supported at this scale when no task is '
            'emergent, or only in exact match; inconclusive when the overall loss jumps too; not tested when no '
            'table of the source has at least § sizes. A task is called emergent (Wei et al. §) when three things'
            ' hold for its primary metric, oriented so higher is better: (§) clearly present in larger models: it'
            ' improves by at least § of the range from chance to the best score (a bounded score), and every size'
            ' from an emergence scale on scores above chance + max(§, z·stderr), z = the two-sided §% normal '
            'quantile Bonferroni-corrected over the n sizes (§ for §); (§) absent in smaller ones: at least § '
            'smaller sizes are not above that; (§) not predicted: a linear trend in log-scale fitted on the sizes'
            ' before the emergence scale when at least § sizes lie there, else the smaller half (at least §) '
            'under-predicts some larger size, the surprise is at least § of the rise, and the p-value of the '
            "surprise (Bonferroni over the predicted sizes) stays below § after Holm's correction over every task"
            " of the source. Stderr is the table's, or binomial from the number of items; with neither, § of a "
            "bounded score's range, or a straight line's residual scatter for other metrics. Sharpness and "
            'breakthroughness are reported, not required. A task is emergent in exact match only when a '
            'continuous metric of it exists and none is under-predicted.'
        ),
        "ko": (
            '출처별로(사다리; 공개된 표들은 함께): 적어도 한 과제가 창발적이고 그것이 정확 '
            '일치에서만의 창발이 아니며, 표에 전체 손실이 있다면 그 손실 자체는 도약하지 않을 '
            "때(개선되면서 같은 검정으로 과소 예측되지 않음) '지지됨'; 창발적인 과제가 없거나 정확"
            " 일치에서만 창발하면 '이 규모에서는 지지되지 않음'; 전체 손실도 함께 도약하면 '판단 "
            "보류'; 그 출처의 어떤 표도 크기가 § 가지 이상이 아니면 '검증하지 않음'. 한 과제를"
            ' 창발적이라고 부르는 것은(Wei 외 §) 높을수록 좋도록 방향을 맞춘 주 지표에서 세 '
            '가지가 성립할 때다. (§) 큰 모델에서는 뚜렷이 있음: 우연 수준에서 최고 점수까지 '
            '범위의 § 이상 개선되고(유계 점수), 창발 규모부터의 모든 크기가 우연 수준 + '
            'max(§, z·stderr)를 넘음, z는 n개 크기에 대해 본페로니 보정한 양측 §% '
            '정규 분위수(크기 §개일 때 §); (§) 작은 모델에서는 없음: 그 값을 넘지 않는 더 '
            '작은 크기가 적어도 §개; (§) 예측되지 않음: 창발 규모 이전에 크기가 적어도 §개 '
            '있으면 그 크기들로, 아니면 작은 쪽 절반(적어도 §개)으로 로그 척도의 선형 추세를 '
            '적합했을 때 어떤 더 큰 크기를 과소 예측하고, 놀람이 상승폭의 § 이상이며, 놀람의 '
            'p값(예측한 크기들에 대한 본페로니 보정)이 그 출처의 모든 과제에 대한 홈 보정 뒤에도 '
            '§ 미만. 표준오차는 표의 값이나 문항 수에서 얻은 이항 표준오차를 쓰고, 둘 다 없으면 '
            '유계 점수는 범위의 §, 다른 지표는 직선의 잔차 산포를 쓴다. 급격함과 돌파성은 '
            '측정값으로 보고할 뿐 요구하지 않는다. 과제에 연속 지표가 있는데 어느 것도 과소 예측되지'
            ' 않으면 그 과제는 정확 일치에서만 창발한 것이다.'
        ),
    },
}
