"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'scaling.holdout_prediction': {
        "en": (
            'Fit L(N,D) = E + A·N^-α + B·D^-β on all but the largest run(s) (Huber δ=§ in log space, multi-start '
            'L-BFGS, bootstrap §% intervals), then predict the held-out run with the largest compute. Supported '
            'if its relative error |pred−actual|/actual ≤ §%, or if the actual loss lies inside the §% prediction'
            " interval and that interval's half-width is ≤ §% of the prediction. Not supported at this scale if "
            'the error exceeds §% and the actual loss lies outside the interval. Inconclusive otherwise (too few '
            'points to fit, nothing held out, no interval, an axis with fewer than § distinct values, or an '
            'interval too wide to mean anything).'
        ),
        "ko": (
            '가장 큰 실행(들)을 뺀 나머지로 L(N,D) = E + A·N^-α + B·D^-β를 적합한 뒤(로그 공간의 후버 δ=§, 여러 시작점의 L-BFGS, 부트스트랩 §% 구간), '
            '제외된 실행 중 계산량이 가장 큰 것의 손실을 예측한다. 상대 오차 |예측−실제|/실제가 §% 이하이거나, 실제 손실이 §% 예측 구간 안에 있고 그 구간의 반폭이 예측값의 §% '
            "이하이면 '지지됨'. 오차가 §%를 넘고 실제 손실이 구간 밖에 있으면 '이 규모에서는 지지되지 않음'. 그 밖에는 '판단 보류'(적합할 점이 너무 적거나, 제외된 실행이 없거나,"
            ' 구간이 없거나, 서로 다른 값이 §개 미만인 축이 있거나, 구간이 너무 넓어 의미가 없는 경우).'
        ),
    },
}
