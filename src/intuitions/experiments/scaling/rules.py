"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'scaling.beats_baselines': {
        "en": (
            'Fit the law on all but the held-out runs (the largest ladder member; for a table, the top §% of '
            "compute), with §% prediction intervals from a bootstrap that resamples members (a member's decay "
            'branches share its errors) and starts each refit cold. Score the held-out runs on the reducible '
            "loss, loss minus the floor (the world's known entropy floor when the table has one, else the fitted "
            "E), against two naive predictions on the same runs: the previous size's loss, and the same power law"
            " with no floor (E = §). Supported when the law's mean error on the reducible loss is below both "
            "baselines' and no more held-out runs fall outside its interval than chance allows (binomial, §% per "
            'run); not supported at this scale when a baseline does as well or better or too many runs fall '
            'outside; inconclusive when there is no interval or an axis has fewer than § distinct values; not '
            'tested when the source has too few runs to fit or none held out.'
        ),
        "ko": (
            '보류한 실행(사다리의 가장 큰 멤버; 표라면 계산량 상위 §%)을 뺀 나머지로 법칙을 '
            '적합하고, 멤버 단위로 다시 뽑으며(한 멤버의 감쇠 분기들은 오차를 공유한다) 매번 '
            '처음부터 다시 적합하는 부트스트랩으로 §% 예측 구간을 얻는다. 보류한 실행들을 줄일 수 '
            '있는 손실, 곧 손실에서 바닥값을 뺀 값(표에 세계의 알려진 엔트로피 바닥이 있으면 그것,'
            ' 없으면 적합한 E)으로 채점하여, 같은 실행들에 대한 두 가지 단순 예측과 비교한다: '
            '바로 아래 크기의 손실, 그리고 바닥값이 없는(E = §) 같은 거듭제곱 법칙. 줄일 수 '
            '있는 손실에서 법칙의 평균 오차가 두 기준선보다 작고, 구간 밖에 놓인 보류 실행이 '
            "우연으로 허용되는 수(이항 분포, 실행마다 §%)를 넘지 않으면 '지지됨'; 기준선이 "
            "같거나 더 잘 맞히거나 구간 밖 실행이 너무 많으면 '이 규모에서는 지지되지 않음'; "
            "구간이 없거나 서로 다른 값이 §개 미만인 축이 있으면 '판단 보류'; 적합할 실행이 너무"
            " 적거나 보류한 실행이 없으면 '검증하지 않음'."
        ),
    },
}
