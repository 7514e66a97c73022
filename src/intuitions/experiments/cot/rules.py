"""The rules behind this experiment's verdicts, keyed by id, in every report language.

A verdict names its rule by id; the code writes the English sentence with its numbers, and
the report fills the same numbers into the other language's template in order ("§" stands
for each number). A reworded rule whose template here is not updated fails the tests."""

RULES: dict[str, dict[str, str]] = {
    'cot.answer_surprisal': {
        "en": (
            'For each real model and the largest ladder member, pooled over step counts: the paired difference in'
            ' answer-token surprisal, given worked solution minus direct and given worked solution minus matched-'
            'length filler (§% t intervals). A model supports the intuition when both intervals lie below § (the '
            'thought, not the length, makes the answer cheap), and contradicts it when either lies above §. '
            'Supported if every model supports it; not supported at this scale if any model contradicts it; '
            'inconclusive otherwise (or when nothing ran).'
        ),
        "ko": (
            '각 실제 모델과 사다리의 가장 큰 모델에서 단계 수를 합쳐, 답 토큰 놀람도의 짝지은 차이 두 가지를 본다: 풀이를 준 경우 빼기 바로 답한 경우, 그리고 풀이를 준 경우 빼기 '
            '같은 길이의 채움 토큰을 준 경우(§% t 구간). 두 구간이 모두 § 아래에 있으면 그 모델은 직관을 지지하고(답을 쉽게 만드는 것은 길이가 아니라 생각이다), 어느 하나라도 §'
            " 위에 있으면 직관에 반한다. 모든 모델이 지지하면 '지지됨', 어느 모델이든 반하면 '이 규모에서는 지지되지 않음', 그 밖에는(또는 아무것도 실행되지 않았으면) '판단 보류'."
        ),
    },
}
