from intuitions.models.base import Encoding, Scorer, TokenScores, score_continuations, score_texts

__all__ = ["Encoding", "Scorer", "TokenScores", "score_texts", "score_continuations"]
