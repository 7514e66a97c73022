"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'multitask.excess_rates': {
        "en": (
            "Per task, excess loss = mean loss minus the world's known floor (the generator's own -log P of the same "
            "documents, end token included), in nats per token. Along model size, and along the largest member's "
            "training steps, each task's learned share = § - last excess / first excess, with a §% CI (documents "
            "resampled, paired). Supported when the shares differ across tasks beyond their intervals on at least one "
            "axis: the heterogeneity statistic Q (squared distances of the shares from their inverse-variance mean, "
            "each over its variance from the CI width times m / (m - §), m documents per task), divided by tasks - §, "
            "exceeds the F quantile with tasks - § and m - § degrees of freedom at § divided by the number of axes. "
            "Not supported at this scale when no axis rejects; inconclusive when there is no ladder of at least two "
            "members, no known floor, or the per-task contributions do not add up to the overall loss within § nats (a "
            "check, not the claim)."
        ),
        "ko": (
            "과제마다 초과 손실 = 평균 손실 − 합성 세계가 아는 손실 하한(같은 문서에 대한 생성기 자신의 -log P, "
            "끝 토큰 포함), 토큰당 nats. 모델 크기 축과 가장 큰 모델의 학습 단계 축에서 과제별 학습된 비율 = "
            "§ − 마지막 초과 손실 / 처음 초과 손실과 그 §% 신뢰구간(문서 단위 짝지은 재표집)을 구한다. "
            "적어도 한 축에서 과제들의 비율이 구간을 넘어 서로 다르면 '지지됨': 이질성 통계량 Q(각 비율이 "
            "역분산 가중 평균에서 떨어진 거리의 제곱을, 신뢰구간 폭에서 얻은 분산에 m / (m − §)를 곱한 값으로 나눈 합. "
            "m은 과제당 문서 수)를 과제 수 − §로 나눈 값이 자유도 (과제 수 − §, m − §)인 F 분포의 (§ ÷ 축의 수) "
            "기준값을 넘을 때다. "
            "어느 축에서도 기각되지 않으면 '이 규모에서는 "
            "지지되지 않음', 두 모델 이상의 사다리나 알려진 하한이 없거나 과제별 기여의 합이 전체 손실과 § nats "
            "이내로 맞지 않으면(주장이 아니라 점검) '판단 보류'."
        ),
    },
    'multitask.probes': {
        "en": (
            "Per real model, minimal-pair probe accuracy per category against its chance level (a uniform guess "
            "among the options): a category is above chance when a one-sided binomial test rejects after Holm's "
            "correction across categories at §; categories are not all alike when the heterogeneity statistic Q "
            "of accuracy minus chance (binomial standard errors) exceeds the chi-square quantile with categories "
            "- § degrees of freedom at §. Supported when at least § categories are above chance and they are not "
            "all alike; not supported at this scale when none is above chance; inconclusive otherwise."
        ),
        "ko": (
            "실제 모델마다 최소 대립쌍 문항의 범주별 정확도를 우연 수준(선택지 중 무작위로 고를 때)과 비교한다. "
            "범주들에 걸쳐 홀름(Holm) 보정을 한 단측 이항 검정이 § 수준에서 기각하면 그 범주는 우연 수준 "
            "위이고, 정확도 − 우연 수준의 이질성 통계량 Q(이항 표준오차)가 자유도 범주 수 − §인 카이제곱 분포의 "
            "§ 기준값을 넘으면 범주들이 모두 같지는 않은 것이다. 우연 수준 위인 범주가 § 개 이상이고 모두 "
            "같지는 않으면 '지지됨', 우연 수준 위인 범주가 없으면 '이 규모에서는 지지되지 않음', 그 밖에는 '판단 보류'."
        ),
    },
}
