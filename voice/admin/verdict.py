"""A matcher's verdict in words: accepted, or refused and why (threshold, margin, meaning)."""

from __future__ import annotations

from typing import Any

from voice.intents.matcher import Match


def explain(match: Match, *, threshold: float, margin: float) -> dict[str, Any]:
    """JSON-ready: the ranking, the rule's numbers, ``accepted`` and a sentence saying why.

    ``reason`` is ``accepted``, ``below_threshold`` (the best score is under the
    threshold), ``margin`` (the best does not lead the runner-up by the margin),
    ``meaning`` (the best is not close enough in meaning on its own), ``nothing`` (no
    request in the words: empty, or a bare reply) or ``no_intents``.
    """
    ranked = [{"intent": name, "score": round(score, 4)} for name, score in match.ranked]
    base: dict[str, Any] = {
        "ranked": ranked,
        "threshold": threshold,
        "margin": margin,
        "intent": match.intent,
        "confidence": round(match.confidence, 4),
        "runner_up": match.runner_up,
        "lead": round(match.confidence - match.runner_up_confidence, 4),
    }
    if not match.ranked:
        return {**base, "accepted": False, "reason": "no_intents", "why": "there are no intents"}
    best = match.ranked[0][0]
    lead = match.confidence - match.runner_up_confidence
    runner = match.runner_up or "nothing"
    if match.intent is not None:
        why = (
            f"{best} scores {match.confidence:.2f} (threshold {threshold:.2f}) and leads "
            f"{runner} by {lead:.2f} (margin {margin:.2f})"
        )
        return {**base, "accepted": True, "reason": "accepted", "why": why}
    if match.refused == "nothing":
        why = "refused: there is no request in these words (empty, or only a reply or courtesy)"
        return {**base, "accepted": False, "reason": "nothing", "why": why}
    if match.refused == "meaning":
        why = (
            f"refused: {best} scores {match.confidence:.2f} on shared words, but its meaning "
            "is too far from every example of it; add an example worded like this if it "
            "belongs there"
        )
        return {**base, "accepted": False, "reason": "meaning", "why": why}
    if match.confidence < threshold:
        why = (
            f"refused: the best, {best}, scores {match.confidence:.2f}, below the threshold "
            f"{threshold:.2f}"
        )
        return {**base, "accepted": False, "reason": "below_threshold", "why": why}
    why = (
        f"refused: {best} leads {runner} by only {lead:.2f}, less than the margin "
        f"{margin:.2f}; the two are too close to tell apart"
    )
    return {**base, "accepted": False, "reason": "margin", "why": why}
