from intuitions.models.base import Encoding, Scorer, TokenScores, score_texts, score_continuations

__all__ = ["Encoding", "Scorer", "TokenScores", "score_texts", "score_continuations"]
