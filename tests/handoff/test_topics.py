"""Sensitive and urgent topics in caller transcripts, and ordinary requests that are not."""

from pathlib import Path

import pytest

from voice.handoff.escalation import EscalationPolicy
from voice.handoff.topics import DEFAULT_RULES, TopicDetector, TopicHit, TopicRule
from voice.intents.loader import load_intents
from voice.intents.semantic import SentenceVectors
from voice.pack.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]

POSITIVE = [
    ("fraud", "I think there's fraud on my account."),
    ("fraud", "Someone stole my card and used it."),
    ("fraud", "Somebody stole my credit card yesterday."),
    ("fraud", "There are unauthorised charges on my statement."),
    ("fraud", "My account was hacked."),
    ("fraud", "I'm a victim of identity theft."),
    ("fraud", "I didn't make these transactions."),
    ("fraud", "I'm calling about a charge I didn't make."),
    ("fraud", "There's a transaction I don't recognise."),
    ("fraud", "I got scammed by someone pretending to be you."),
    ("data_leak", "Was there a data breach? I got a weird email."),
    ("data_leak", "My data was leaked online."),
    ("data_leak", "Someone has my personal information."),
    ("data_leak", "This is a privacy violation."),
    ("data_leak", "You leaked my address to a stranger."),
    ("data_leak", "I want to make a GDPR complaint."),
    ("legal", "I'm going to talk to my lawyer."),
    ("legal", "My attorny will be in touch."),
    ("legal", "I will sue you for this."),
    ("legal", "I'm taking legal action."),
    ("legal", "See you in court."),
    ("legal", "I'll take this to small claims."),
    ("emergency", "This is an emergency!"),
    ("emergency", "Someone is hurt, there was an accident."),
    ("emergency", "I'm going to hurt myself."),
    ("emergency", "I've been thinking about suicide."),
    ("emergency", "I want to kill myself."),
    ("emergency", "My house is on fire."),
    ("emergency", "I can smell gas, I think there's a gas leak."),
    ("emergency", "We need an ambulance."),
    ("emergency", "My neighbour is threatening me."),
    ("emergency", "Should I call nine one one?"),
    ("emergency", "We are in danger here."),
    ("outage_harm", "My mother is on medical equipment and the power is out."),
    ("outage_harm", "My dad's oxygen machine needs power."),
    ("outage_harm", "He is on life support at home."),
    ("outage_harm", "My elderly parent without heat since yesterday."),
    ("outage_harm", "My elderly mother has no heat."),
    ("outage_harm", "My business is losing money every hour the line is down."),
]

NEGATIVE = [
    "I forgot my password.",
    "Where is my order?",
    "I want a refund.",
    "My internet is down.",
    "What's my balance?",
    "Can you help me with my bill?",
    "I need to change my address.",
    "How do I reset my router?",
    "What are your opening hours?",
    "I'd like to cancel my subscription.",
    "My package is late.",
    "I was charged twice this month.",
    "I want to update my card details.",
    "My account is locked.",
    "I'd like to make a payment.",
    "The app keeps crashing.",
    "How much is shipping?",
    "I need a copy of my invoice.",
    "Can I upgrade my plan?",
    "The count on my bill is wrong.",
    "Sue told you already.",
    "The page won't fire the event.",
    "I got fired and need a payment plan.",
    "My heating bill is too high.",
    "",
]


@pytest.mark.parametrize(("topic", "text"), POSITIVE)
def test_detects_topic(topic: str, text: str) -> None:
    hit = TopicDetector().detect(text)
    assert hit is not None, text
    assert hit.topic == topic, (text, hit)


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_requests_are_not_topics(text: str) -> None:
    assert TopicDetector().detect(text) is None


def test_every_default_topic_has_positive_examples() -> None:
    counts = {rule.topic: sum(t == rule.topic for t, _ in POSITIVE) for rule in DEFAULT_RULES}
    assert min(counts.values()) >= 5, counts


@pytest.mark.parametrize(
    ("topic", "priority"),
    [
        ("emergency", "urgent"),
        ("fraud", "urgent"),
        ("data_leak", "urgent"),
        ("outage_harm", "high"),
        ("legal", "high"),
    ],
)
def test_default_priorities(topic: str, priority: str) -> None:
    assert {r.topic: r.priority for r in DEFAULT_RULES}[topic] == priority


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "My card was stolen and now my house is on fire",
            TopicHit("emergency", "urgent", "on fire"),
        ),
        ("I'll call my lawyer about this fraud", TopicHit("fraud", "urgent", "fraud")),
        (
            "My oxygen machine is off and I'll call my lawyer",
            TopicHit("outage_harm", "high", "oxygen machine"),
        ),
        (
            "I'm calling about a charge I didn't make",
            TopicHit("fraud", "urgent", "charge i did not make"),
        ),
        (
            "My account was hacked, it's fraud",
            TopicHit("fraud", "urgent", "my account was hacked"),
        ),
    ],
)
def test_most_urgent_hit_wins(text: str, expected: TopicHit) -> None:
    assert TopicDetector().detect(text) == expected


def test_rules_from_the_policy_file_shape() -> None:
    rules = [
        TopicRule("emergency", "urgent", ("fire", "going to hurt")),
        TopicRule("fraud", "urgent", ("a charge I didn't make", "transactions I didn't make")),
    ]
    detector = TopicDetector(rules)
    assert detector.detect("I'm calling about a charge I didn't make") == TopicHit(
        "fraud", "urgent", "a charge I didn't make"
    )
    assert detector.detect("There's a fire in the basement") == TopicHit(
        "emergency", "urgent", "fire"
    )


def test_custom_rules_replace_the_defaults() -> None:
    detector = TopicDetector([TopicRule("complaint", "normal", ("formal complaint",))])
    assert detector.detect("I want to make a formal complaint") == TopicHit(
        "complaint", "normal", "formal complaint"
    )
    assert detector.detect("This is fraud") is None


def test_longer_phrases_allow_a_word_or_two_in_between() -> None:
    detector = TopicDetector([TopicRule("fraud", "high", ("someone stole my card",))])
    assert detector.detect("someone stole my debit card") is not None
    assert detector.detect("someone stole my old debit card") is not None
    assert detector.detect("someone stole a car and my old debit card") is None


def test_bad_rules() -> None:
    with pytest.raises(ValueError, match="empty phrase"):
        TopicDetector([TopicRule("x", "high", ("...",))])
    with pytest.raises(ValueError, match="priority"):
        TopicDetector([TopicRule("x", "soon", ("a b",))])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "I'm not calling about fraud, just my balance",
        "it won't fire",  # "fire" is a phrase of the shipped policy
        "there's no gas leak, the engineer checked",
        "I don't need a lawyer, I want the fee explained",
        "nothing fraudulent, I want to close an old account",
        "my wallet was not stolen after all, I found it",  # a negation inside the phrase's gap
    ],
)
def test_negated_topics_never_trigger(text: str) -> None:
    rules = [*DEFAULT_RULES, TopicRule("fire", "urgent", ("fire", "my wallet was stolen"))]
    assert TopicDetector(rules).detect(text) is None
    assert TopicDetector(rules).detect("my wallet was stolen") is not None


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("a stranger has been buying things with my debit card", "fraud"),
        ("somebody got hold of my login and moved money out", "fraud"),
        ("my card was charged twice, can you check", None),
        ("can you update the card on my account", None),
        ("this is not fraud, I just forgot the subscription", None),
    ],
)
def test_topics_by_meaning_with_the_shipped_policy(
    sentences: SentenceVectors, text: str, topic: str | None
) -> None:
    spec = load_policy(ROOT / "intents" / "policy.yaml", load_intents(ROOT / "intents"))
    hit = EscalationPolicy(spec, embedder=sentences).topics.detect(text)
    assert (hit.topic if hit else None) == topic
    if hit is not None:
        assert hit.phrase == "(meaning)"
        assert EscalationPolicy(spec).topics.detect(text) is None  # phrases alone miss it
