"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'icl.gold_vs_random': {
        "en": (
            "Ladder members on the world's in-context items, ordered by size; the largest decides (sum scoring, "
            "largest k): supported if gold-label accuracy beats random-label accuracy (paired bootstrap §% CI of the "
            "difference above §); not supported if the CI upper bound is below §; inconclusive otherwise, and always "
            "with fewer than § paired answers. The slope of the gold - random gap over log§ parameters (weighted least "
            "squares, §% CI) is reported, not decided on."
        ),
        "ko": (
            "합성 세계의 문맥 내 학습 문항에서 사다리 모델들을 크기 순으로 늘어놓고 가장 큰 모델로 판정한다(합 점수, "
            "가장 큰 k). 정답 레이블 정확도가 무작위 레이블 정확도를 넘으면(차이의 짝지은 부트스트랩 §% 신뢰구간이 § "
            "위) '지지됨', 신뢰구간 상한이 § 미만이면 '지지되지 않음', 그 밖에는, 그리고 짝지은 답이 § 개 미만이면 "
            "언제나 '판단 보류'. 정답 − 무작위 차이의 log§ 파라미터 수에 대한 기울기(가중 최소제곱, §% 신뢰구간)는 "
            "보고만 하고 판정에는 쓰지 않는다."
        ),
    },
    'icl.gold_vs_controls': {
        "en": (
            "Real models on one data set, ordered by size; the largest decides (sum scoring, largest k): supported if "
            "gold-label accuracy beats both zero-shot and random-label accuracy (paired bootstrap §% CI of each "
            "difference above §); not supported if either difference's CI upper bound is below §; inconclusive "
            "otherwise, and always with fewer than § paired answers. The slope of the gold - random gap over log§ "
            "parameters (weighted least squares, §% CI) is reported, not decided on."
        ),
        "ko": (
            "한 데이터셋에서 실제 모델들을 크기 순으로 늘어놓고 가장 큰 모델로 판정한다(합 점수, 가장 큰 k). 정답 "
            "레이블 정확도가 제로샷 정확도와 무작위 레이블 정확도를 모두 넘으면(각 차이의 짝지은 부트스트랩 §% "
            "신뢰구간이 § 위) '지지됨', 두 차이 중 하나라도 신뢰구간 상한이 § 미만이면 '지지되지 않음', 그 밖에는, "
            "그리고 짝지은 답이 § 개 미만이면 언제나 '판단 보류'. 정답 − 무작위 차이의 log§ 파라미터 수에 대한 "
            "기울기(가중 최소제곱, §% 신뢰구간)는 보고만 하고 판정에는 쓰지 않는다."
        ),
    },
    'icl.flip_following': {
        "en": (
            "Accuracy with §% of demonstration labels flipped, per model of one source and data set, ordered by "
            "size (sum scoring); a model follows the demonstrations when its §% CI upper bound is below chance. "
            "Supported if the largest follows, the smallest does not and the accuracy falls with size (weighted "
            "least-squares slope over log§ parameters, §% CI below §); not supported at this scale if no model "
            "follows, or if every model does (small ones too); inconclusive otherwise. On the ladder the "
            "§-layer member is a control (induction needs two layers): the rule is applied to the deeper "
            "members, and if only depth separates followers (the control keeps its prior, every deeper member "
            "follows) it is not supported at this scale: depth, not scale. Real models: not tested when none "
            "has at least § parameters and none follows; inconclusive when a smaller one follows."
        ),
        "ko": (
            "시연 레이블의 §%를 뒤집었을 때의 정확도를 한 출처·한 데이터셋의 모델마다 크기 순으로 잰다(합 점수). 그 §% "
            "신뢰구간 상한이 우연 수준보다 낮으면 모델이 시연을 따른 것이다. 가장 큰 모델은 따르고 가장 작은 모델은 "
            "따르지 않으며 정확도가 크기와 함께 떨어지면(log§ 파라미터 수에 대한 가중 최소제곱 기울기의 §% 신뢰구간이 "
            "§ 아래) '지지됨', 어떤 모델도 따르지 않거나 작은 모델까지 모두 따르면 '이 규모에서는 지지되지 않음', 그 "
            "밖에는 '판단 보류'. 사다리에서는 § 층 모델이 대조군이다(귀납 헤드에는 두 층이 필요하다). 규칙은 더 깊은 "
            "모델들에 적용하며, 따르는지가 깊이로만 갈리면(대조군은 사전 지식을 지키고 더 깊은 모델은 모두 따른다) "
            "'이 규모에서는 지지되지 않음': 규모가 아니라 깊이다. 실제 모델: 파라미터가 § 개 이상인 모델이 없고 "
            "어느 모델도 따르지 않으면 '검증하지 않음', 더 작은 모델이 따르면 '판단 보류'."
        ),
    },
}
